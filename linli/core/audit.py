"""Writing to the audit trail: every service calls :func:`audit`."""

from typing import Any

from linli.core.models import AuditEvent

_current_ip: dict[str, str | None] = {"ip": None}


def set_request_ip(ip: str | None) -> None:
    """Remember the client address of the request being served (set by middleware, read by :func:`audit`)."""
    _current_ip["ip"] = ip


def audit(*, actor, action: str, target=None, place_path: str = "", data: dict[str, Any] | None = None) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``target``; returns the event row."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        place_path=place_path,
        ip_address=_current_ip["ip"],
        data=data or {},
    )
