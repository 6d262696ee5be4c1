"""Reads for accounts: a resident's own portal, who looked at a resident, the audit trail (scoped)."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from linli.accounts.models import InvitationCode, ResidentLink, TotpDevice
from linli.core.models import AuditEvent
from linli.core.scope import scope_q
from linli.places.models import Resident

#: What counts as "looking at" a resident's data, for the resident's own log.
LOOK_ACTIONS = ["resident.viewed", "personal_data.revealed"]


def resident_of(user) -> Resident | None:
    """The resident record a resident account is linked to (None for staff and unlinked accounts)."""
    if user is None or not user.is_authenticated or not getattr(user, "is_resident", False):
        return None
    link = (ResidentLink.objects.filter(user=user, ended_at__isnull=True)
            .select_related("resident__unit__building", "resident__household").first())
    return link.resident if link else None


def household_members(*, resident: Resident) -> list[Resident]:
    """The people of the resident's own household (their tenancy or their family) — never another household of
    the unit, earlier or later."""
    return list(Resident.objects.filter(household_id=resident.household_id).order_by("-is_current", "id"))


def who_looked(*, resident: Resident, limit: int = 100) -> list[AuditEvent]:
    """Staff views of the resident's page and reveals of their numbers, newest first."""
    return list(
        AuditEvent.objects.filter(target_type="places.resident", target_id=str(resident.pk),
                                  action__in=LOOK_ACTIONS)
        .select_related("actor")[:limit]
    )


def audit_event_list(*, user, actor: str = "", action: str = "", target: str = "",
                     date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet[AuditEvent]:
    """Audit events of the places in the user's scope, searched by actor (username or name), action (prefix),
    target (``type:id``, or an id) and a date range (days in Asia/Shanghai)."""
    qs = AuditEvent.objects.filter(scope_q(user, "place_path")).select_related("actor")
    if actor:
        qs = qs.filter(Q(actor__username__iexact=actor) | Q(actor__display_name__icontains=actor))
    if action:
        qs = qs.filter(action__startswith=action)
    if target:
        if ":" in target:
            kind, _sep, pk = target.partition(":")
            qs = qs.filter(target_type=kind.strip().lower(), target_id=pk.strip())
        else:
            qs = qs.filter(target_id=target.strip())
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(created_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(created_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return qs.order_by("-created_at", "-id")


def audit_actions(*, user) -> list[str]:
    """The actions recorded in scope, for the search filter."""
    return list(AuditEvent.objects.filter(scope_q(user, "place_path")).values_list("action", flat=True)
                .distinct().order_by("action"))


def totp_device_of(user) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first()


def invitation_list(*, user, building=None) -> QuerySet[InvitationCode]:
    qs = InvitationCode.objects.filter(scope_q(user)).select_related("unit")
    if building is not None:
        qs = qs.filter(path__startswith=building.path)
    return qs


def wholly_in_scope(user, target) -> bool:
    """Whether ``target`` holds at least one current role and every one of them lies in ``user``'s scope: someone
    ``user`` answers for (and may, with the permission, reset the two-factor of)."""
    from linli.core.scope import in_scope, role_paths

    paths = [path for _role, path in role_paths(target)]
    return bool(paths) and all(in_scope(user, path) for path in paths)


def staff_in_reach(*, user, username: str):
    """The staff account ``username`` when it is :func:`wholly_in_scope` of ``user``, else 404 — the same for no
    such account, a resident's account and one with a role elsewhere, so that the form tells nobody who exists
    beyond their reach."""
    from django.http import Http404

    from linli.accounts.models import User

    target = User.objects.filter(username=(username or "").strip(), is_resident=False).first()
    if target is None or not wholly_in_scope(user, target):
        raise Http404
    return target
