"""Secrets from the environment, or — for the laptop demo only — from ``var/keys.json``.

Loaded by settings before Django is configured, so it imports nothing from Django.
"""

import base64
import json
import os
import secrets
from pathlib import Path


def _new_fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def load_keys(var_dir: Path) -> dict:
    """Return ``secret_key``, ``data_keys`` (newest first) and ``hash_key``.

    Environment variables win. Without them a key file is created once under ``var/`` so that a laptop demo keeps
    its encrypted data readable across restarts; a production deployment sets the variables instead.
    """
    env = {
        "secret_key": os.environ.get("LINLI_SECRET_KEY"),
        "data_keys": [k for k in os.environ.get("LINLI_DATA_KEYS", "").split(",") if k],
        "hash_key": os.environ.get("LINLI_HASH_KEY"),
    }
    if env["secret_key"] and env["data_keys"] and env["hash_key"]:
        return env
    path = var_dir / "keys.json"
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        var_dir.mkdir(parents=True, exist_ok=True)
        stored = {
            "secret_key": secrets.token_urlsafe(50),
            "data_keys": [_new_fernet_key()],
            "hash_key": secrets.token_urlsafe(32),
        }
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return {k: env[k] or stored[k] for k in stored}
