"""Anchor households (党员中心户) and the households each looks after.

The rules: one active anchor per household, and a household looked after by at most one anchor at a time — both
kept by the database (partial unique constraints), so two people acting at once get the same clear error as one
acting twice. Looked-after households are current, in the anchor's building, not anchors themselves, and in the
actor's scope. Coverage rows are ended, never deleted.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.core.scope import in_scope
from linli.org.models import AnchorCoverage, AnchorHousehold, PartyMembership
from linli.org.selectors import ANCHOR_MANAGER_ROLES
from linli.org.services._common import actor_or_none, check_actor_reaches, check_date, check_reason
from linli.places.models import Household


def _member_household(actor, member: PartyMembership) -> Household:
    if not member.is_active:
        raise ApplicationError(_("The party membership has ended."), field="member")
    resident = member.resident
    household = resident.household
    if not household.is_current or not resident.is_current:
        raise ApplicationError(_("%(name)s no longer lives here.") % {"name": resident.name}, field="member")
    check_actor_reaches(actor, household.path, "member", ANCHOR_MANAGER_ROLES)
    return household


def _neighbours(actor, anchor_household: Household, looked_after: Iterable[Household]) -> list[Household]:
    """The households to look after, checked: current, in the anchor's building, not the anchor itself nor another
    anchor, in the actor's scope. Errors name ``looked_after``."""
    building_id = anchor_household.unit.building_id
    households = list(Household.objects.filter(pk__in={h.pk for h in looked_after}).select_related("unit")
                      .order_by("path"))
    anchors = set(AnchorHousehold.objects.filter(is_active=True, household__in=households)
                  .values_list("household_id", flat=True))
    for h in households:
        if not h.is_current:
            raise ApplicationError(_("Household %(unit)s has moved out.") % {"unit": h.unit.name},
                                   field="looked_after")
        if h.pk == anchor_household.pk:
            raise ApplicationError(_("An anchor household does not look after itself."), field="looked_after")
        if h.pk in anchors:
            raise ApplicationError(_("Household %(unit)s is an anchor household itself.") % {"unit": h.unit.name},
                                   field="looked_after")
        if h.unit.building_id != building_id:
            raise ApplicationError(_("Household %(unit)s is in another building; an anchor household looks after "
                                     "its own building.") % {"unit": h.unit.name}, field="looked_after")
        if actor is not None and not in_scope(actor, h.path):
            raise ApplicationError(_("Household %(unit)s is outside the places you look after.")
                                   % {"unit": h.unit.name}, field="looked_after")
    return households


def _open(*, actor, anchor: AnchorHousehold, households: list[Household], since: dt.date) -> None:
    """Start looking after ``households``. A household another anchor looks after is refused by the database
    (also when that happened a moment ago in another request); the error names the other anchor."""
    for h in households:
        try:
            with transaction.atomic():
                AnchorCoverage.objects.create(anchor=anchor, household=h, since=since, path=h.path,
                                              added_by=actor_or_none(actor))
        except IntegrityError as exc:
            clash = (AnchorCoverage.objects.filter(household=h, ended_on__isnull=True)
                     .select_related("anchor__household__unit").first())
            if clash is not None and clash.anchor_id == anchor.pk:
                message = _("Household %(unit)s is already looked after by this anchor household.")
            else:
                message = _("Household %(unit)s is already looked after by another anchor household.")
            raise ApplicationError(message % {"unit": h.unit.name}, field="looked_after", code="conflict") from exc


def _close(*, actor, rows, on: dt.date) -> list[int]:
    """End coverage rows (kept, with the date and who); returns the households released."""
    rows = list(rows)
    for row in rows:
        row.ended_on = max(on, row.since)
        row.ended_by = actor_or_none(actor)
        row.save(update_fields=["ended_on", "ended_by"])
    return sorted(row.household_id for row in rows)


def _current(anchor: AnchorHousehold) -> list[int]:
    return sorted(anchor.coverages.filter(ended_on__isnull=True).values_list("household_id", flat=True))


def _leave_other_anchor(*, actor, household: Household, on: dt.date) -> None:
    """A household that becomes an anchor looks after itself: it comes off another anchor's list (audited)."""
    for row in AnchorCoverage.objects.select_for_update().filter(household=household, ended_on__isnull=True):
        _close(actor=actor, rows=[row], on=on)
        audit(actor=actor, action="org.anchor_uncovered", target=row.anchor, place_path=row.anchor.path,
              data={"removed": [household.pk], "reason": "became_anchor"})


@transaction.atomic
def anchor_household_designate(*, actor, member: PartyMembership, looked_after: Iterable[Household] = (),
                               since: dt.date | None = None) -> AnchorHousehold:
    """Make ``member``'s household an anchor household looking after ``looked_after``. A household that is
    already an anchor is refused — by the database, so that two people designating it at once get the same clear
    error (``member``) as one person designating it twice."""
    household = _member_household(actor, member)
    households = _neighbours(actor, household, looked_after)
    check_date(since, "since", _("The start date"))
    since = since or timezone.localdate()
    try:
        with transaction.atomic():
            anchor = AnchorHousehold.objects.create(household=household, member=member, since=since,
                                                    building_id=household.unit.building_id, path=household.path)
    except IntegrityError as exc:
        raise ApplicationError(_("%(unit)s is already an anchor household.") % {"unit": household.unit.name},
                               field="member", code="conflict") from exc
    _leave_other_anchor(actor=actor, household=household, on=since)
    _open(actor=actor, anchor=anchor, households=households, since=since)
    audit(actor=actor, action="org.anchor_assigned", target=anchor, place_path=anchor.path,
          data={"member": member.pk, "since": since.isoformat(), "to": [h.pk for h in households]})
    return anchor


@transaction.atomic
def anchor_household_assign(*, actor, member: PartyMembership, looked_after: Iterable[Household],
                            since: dt.date | None = None) -> AnchorHousehold:
    """Designate ``member``'s household, or — when it is an anchor already — make ``looked_after`` its list:
    households that leave the list end their coverage, new ones start it; the audit row has ``from`` and ``to``."""
    household = _member_household(actor, member)
    anchor = AnchorHousehold.objects.select_for_update().filter(household=household, is_active=True).first()
    if anchor is None:
        return anchor_household_designate(actor=actor, member=member, looked_after=looked_after, since=since)
    households = _neighbours(actor, household, looked_after)
    before = _current(anchor)
    wanted = {h.pk for h in households}
    today = timezone.localdate()
    _close(actor=actor, rows=anchor.coverages.select_for_update().filter(ended_on__isnull=True)
           .exclude(household__in=wanted), on=today)
    _open(actor=actor, anchor=anchor, households=[h for h in households if h.pk not in set(before)], since=today)
    if anchor.member_id != member.pk:
        anchor.member = member
        anchor.save(update_fields=["member"])
    audit(actor=actor, action="org.anchor_reassigned", target=anchor, place_path=anchor.path,
          data={"member": member.pk, "from": before, "to": sorted(wanted)})
    return anchor


def _active(anchor: AnchorHousehold) -> AnchorHousehold:
    anchor = (AnchorHousehold.objects.select_for_update(of=("self",)).select_related("household__unit")
              .get(pk=anchor.pk))
    if not anchor.is_active:
        raise ApplicationError(_("This anchor household has ended."), field="anchor")
    return anchor


@transaction.atomic
def anchor_household_cover(*, actor, anchor: AnchorHousehold, households: Iterable[Household]) -> AnchorHousehold:
    """The anchor household starts looking after ``households`` too."""
    check_actor_reaches(actor, anchor.path, "anchor", ANCHOR_MANAGER_ROLES)
    anchor = _active(anchor)
    added = _neighbours(actor, anchor.household, households)
    if not added:
        raise ApplicationError(_("Choose at least one household."), field="households")
    _open(actor=actor, anchor=anchor, households=added, since=timezone.localdate())
    audit(actor=actor, action="org.anchor_covered", target=anchor, place_path=anchor.path,
          data={"added": [h.pk for h in added]})
    return anchor


@transaction.atomic
def anchor_household_uncover(*, actor, anchor: AnchorHousehold, households: Iterable[Household],
                             reason: str = "") -> AnchorHousehold:
    """The anchor household stops looking after ``households`` (they must be on its list)."""
    check_actor_reaches(actor, anchor.path, "anchor", ANCHOR_MANAGER_ROLES)
    anchor = _active(anchor)
    wanted = {h.pk for h in households}
    if not wanted:
        raise ApplicationError(_("Choose at least one household."), field="households")
    rows = list(anchor.coverages.select_for_update().filter(ended_on__isnull=True, household__in=wanted))
    if len(rows) != len(wanted):
        raise ApplicationError(_("Only households this anchor household looks after can be taken off its list."),
                               field="households")
    removed = _close(actor=actor, rows=rows, on=timezone.localdate())
    audit(actor=actor, action="org.anchor_uncovered", target=anchor, place_path=anchor.path,
          data={"removed": removed, "reason": (reason or "").strip()[:200]})
    return anchor


@transaction.atomic
def anchor_household_end(*, actor, anchor: AnchorHousehold, reason: str,
                         ended_on: dt.date | None = None) -> AnchorHousehold:
    """The household stops being an anchor household: the row stays with its end date, reason and who; the
    households it looked after are released (their coverage ends) and show as looked after by nobody."""
    check_actor_reaches(actor, anchor.path, "anchor", ANCHOR_MANAGER_ROLES)
    anchor = _active(anchor)
    reason = check_reason(reason)
    ended_on = ended_on or timezone.localdate()
    check_date(ended_on, "ended_on", _("The end date"))
    if anchor.since and ended_on < anchor.since:
        raise ApplicationError(_("The end date is before the anchor household started."), field="ended_on")
    released = _close(actor=actor, rows=anchor.coverages.select_for_update().filter(ended_on__isnull=True),
                      on=ended_on)
    anchor.is_active = False
    anchor.ended_on = ended_on
    anchor.end_reason = reason
    anchor.ended_by = actor_or_none(actor)
    anchor.save(update_fields=["is_active", "ended_on", "end_reason", "ended_by"])
    audit(actor=actor, action="org.anchor_ended", target=anchor, place_path=anchor.path,
          data={"ended_on": ended_on.isoformat(), "reason": reason, "released": released})
    return anchor
