"""Writing to the audit trail: every service calls :func:`audit`."""

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from linli.core.models import AuditEvent

# Per request, not per process: the server serves requests in threads, and one request's address must never be
# written on another's audit row (a module-level value would be shared by all of them).
_current_ip: ContextVar[str | None] = ContextVar("linli_request_ip", default=None)


def set_request_ip(ip: str | None):
    """Remember the client address of the request being served (set by middleware, read by :func:`audit`);
    returns the token to give back to :func:`reset_request_ip` when the request is done."""
    return _current_ip.set(ip)


def reset_request_ip(token) -> None:
    _current_ip.reset(token)


def audit(*, actor, action: str, target=None, place_path: str = "", data: dict[str, Any] | None = None) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``target``; returns the event row."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        place_path=place_path,
        ip_address=_current_ip.get(),
        data=data or {},
    )


def audit_rows(*, actor, actions: Iterable[tuple[str, dict]], target, place_path: str = "") -> list[AuditEvent]:
    """The rows :func:`audit` would write one by one about ``target`` (who, what, which record, where, from which
    address), not yet written: for a service that writes them with its own rows
    (:func:`linli.core.db.insert_together`)."""
    return [AuditEvent(actor=actor if getattr(actor, "pk", None) else None, action=action,
                       target_type=target._meta.label_lower, target_id=str(target.pk), place_path=place_path,
                       ip_address=_current_ip.get(), data=data or {}) for action, data in actions]


def audit_many(*, actor, actions: Iterable[tuple[str, dict]], target, place_path: str = "") -> list[AuditEvent]:
    """Several audit rows about one target in one insert (:func:`audit_rows`)."""
    return AuditEvent.objects.bulk_create(audit_rows(actor=actor, actions=actions, target=target,
                                                     place_path=place_path))
