"""What every cases service shares: who is told (inbox, texts) and how, the timeline event, scope helpers."""

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from linli.accounts.models import Role, RoleAssignment
from linli.cases import workflow
from linli.cases.models import (
    Case,
    CaseEvent,
)
from linli.core import crypto
from linli.places.models import Place, PlaceKind

FEEDBACK_WAIT = dt.timedelta(days=3)
#: Steps between staff only: not shown on the reporter's timeline, and the reporter is not told.
INTERNAL_ACTIONS = {"return", "request_postpone", "deny_postpone"}
MEDIATION_FOLLOW_UP_DAYS = 30
CASE_PLACE_KINDS = {PlaceKind.COMPOUND, PlaceKind.BUILDING, PlaceKind.ENTRANCE, PlaceKind.UNIT}


_quiet = contextvars.ContextVar("linli_cases_quiet", default=False)


@contextlib.contextmanager
def quiet():
    """No notifications or texts inside this block (the demo's year of history must not flood inboxes)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)

# --- helpers ----------------------------------------------------------------------------------------------------------

def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def path_prefixes(path: str) -> list[str]:
    """``a/b/c/`` → ``["a/", "a/b/", "a/b/c/"]``: the paths of a node and its ancestors."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def case_url(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return ""


def level_place(case_or_path, level: str) -> Place | None:
    """The node that stands for ``level`` above a case's place (its building, compound, community or street)."""
    path = case_or_path if isinstance(case_or_path, str) else case_or_path.path
    return (Place.objects.filter(path__in=path_prefixes(path), kind=workflow.LEVEL_PLACE_KIND[level])
            .order_by("-depth").first())


def supervisors_of(case: Case, level: str | None = None):
    """Users who supervise ``level`` (default: the case's) over the case's place."""
    roles = workflow.LEVEL_SUPERVISOR_ROLES[level or case.level]
    from linli.accounts.models import User

    ids = RoleAssignment.objects.filter(role__in=roles, ended_at__isnull=True, grid__isnull=True,
                                        place__path__in=path_prefixes(case.path)).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def role_holders(case: Case, role: str):
    """Users holding ``role`` at a node covering the case's place (grid workers: the grid of the building)."""
    from linli.accounts.models import User

    q = RoleAssignment.objects.filter(role=role, ended_at__isnull=True)
    if role == Role.GRID_WORKER:
        ids = q.filter(grid__buildings__path__in=path_prefixes(case.path)).values("user_id")
    else:
        ids = q.filter(grid__isnull=True, place__path__in=path_prefixes(case.path)).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _notify(case: Case, *, kind: str, title: str, body: str = "", users: Iterable = (), reporter: bool = False):
    """Tell ``users`` in their inbox, and the reporter (inbox, or a text to their phone when they have no account)."""
    from linli.notify.services import notification_send_many, outbound_send

    if _quiet.get():
        return
    recipients = [u for u in users if u is not None]
    if reporter and case.reporter_user_id:
        recipients.append(case.reporter_user)
    if recipients:
        notification_send_many(recipients=recipients, kind=kind, title=title, body=body, url=case_url(case),
                               place_path=case.path)
    if reporter and not case.reporter_user_id:
        encrypted = case.reporter_phone_encrypted or (case.reporter.phone_encrypted if case.reporter_id else "")
        if encrypted:
            outbound_send(to=crypto.decrypt(encrypted), kind=kind, body=f"{title} {body}".strip(),
                          place_path=case.path)


def _event(case: Case, *, actor, action: str, at, from_state: str = "", to_state: str = "", note: str = "",
           data: dict | None = None, public: bool = True) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if getattr(actor, "pk", None) else None, at=at,
                                    action=action, from_state=from_state, to_state=to_state, note=note or "",
                                    data=data or {}, public=public)

def _is_staff(user) -> bool:
    return bool(user is not None and workflow.role_paths(user))


def resident_of(user):
    """The register's resident behind a resident account (None for staff or an unlinked account)."""
    if user is None or not getattr(user, "is_resident", False):
        return None
    from linli.accounts.models import ResidentLink

    link = ResidentLink.objects.filter(user=user, ended_at__isnull=True).select_related("resident").first()
    return link.resident if link else None


def _refresh(case: Case, fresh: Case) -> None:
    """Bring the caller's instance up to date (setting each field also drops stale cached relations)."""
    if case is fresh:
        return
    for field in Case._meta.concrete_fields:
        setattr(case, field.attname, getattr(fresh, field.attname))


