"""The demo: the compound, the staff who run it, and ``var/demo-credentials.json``.

Idempotent: a second run finds the compound and the users and only rewrites the credentials file when a token in it
no longer matches (tokens are stored hashed, so a lost file means new tokens).
"""

import json
from pathlib import Path

from django.conf import settings
from django.db import transaction

from linli.accounts.models import ApiToken, Role, User
from linli.accounts.services import role_grant, token_issue, user_create
from linli.places.demo import demo_compound, load_demo
from linli.places.models import Grid

DEMO_PASSWORD = "linli-demo-2024"  # noqa: S105  (printed on purpose: the demo's logins)

#: (role, username, display name, where: "community" | "compound" | grid number)
DEMO_STAFF = [
    (Role.COMMUNITY_SECRETARY, "secretary", "山海社区党委书记 刘海英", "community"),
    (Role.BRANCH_SECRETARY, "branch", "龙泽书苑党支部书记 王建华", "compound"),
    (Role.GRID_WORKER, "grid1", "第一网格员 张丽", 1),
    (Role.GRID_WORKER, "grid2", "第二网格员 李强", 2),
]


def demo_token(user, previous: dict) -> str:
    """The token to write for ``user``: the one already in the credentials file while it is still live (tokens are
    stored hashed, so a lost or stale one means a new token)."""
    token = previous.get(user.username, {}).get("token", "")
    if not token or not ApiToken.objects.filter(user=user, key_hash=ApiToken.hash_key(token),
                                               revoked_at__isnull=True).exists():
        _row, token = token_issue(actor=None, user=user, name="demo")
    return token


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.json"


@transaction.atomic
def ensure_demo(stdout=None) -> dict:
    """Load whatever of the demo is missing and return the credentials document."""
    compound = demo_compound()
    if compound is None:
        compound = load_demo()
    community = compound.parent
    grids = {g.number: g for g in Grid.objects.filter(compound=compound)}
    path = credentials_path()
    previous = {}
    if path.exists():
        try:
            previous = {u["username"]: u for u in json.loads(path.read_text()).get("users", [])}
        except (ValueError, KeyError):
            previous = {}
    users = []
    for role, username, display, where in DEMO_STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=None, username=username, password=DEMO_PASSWORD, display_name=display)
            if where == "community":
                role_grant(actor=None, user=user, role=role, place=community)
            elif where == "compound":
                role_grant(actor=None, user=user, role=role, place=compound)
            else:
                grid = grids[where]
                role_grant(actor=None, user=user, role=role, place=compound, grid=grid)
                grid.worker = user
                grid.save(update_fields=["worker"])
        token = demo_token(user, previous)
        scope = {"community": community.name, "compound": compound.name}.get(where) or grids[where].name
        users.append({"role": role.value, "username": username, "password": DEMO_PASSWORD, "token": token,
                      "scope": scope})
    from linli.org.demo import ensure_org_demo  # the party organisation and steward teams (linli/org/demo.py)

    users += ensure_org_demo(compound=compound, previous=previous)
    from linli.accounts.demo import ensure_demo_two_factor  # roles that may reveal sign in with a code too

    ensure_demo_two_factor(users)
    from linli.cases.demo import ensure_cases_demo  # categories, routing, handlers, a year of cases (cases/demo.py)

    ensure_cases_demo(compound)
    document = {"users": users}
    from linli.accounts.demo import ensure_accounts_demo  # invitation codes, a resident account (accounts/demo.py)

    document["residents"] = ensure_accounts_demo(compound)
    from linli.cases.demo import ensure_reporter_cases  # that resident's own reports, at every step (cases/demo.py)

    ensure_reporter_cases(compound)
    from linli.metrics.services import rollup_refresh  # so that the dashboard has figures from the first minute

    rollup_refresh()
    from linli.open311.services import ensure_open311_demo  # the demo's Open311 key (linli/open311/services.py)

    document["open311_api_key"] = ensure_open311_demo(path=path)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2))
    return document
