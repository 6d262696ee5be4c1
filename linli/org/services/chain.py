"""The party chain: organisations and their leaders, and party memberships (registered and ended)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.org.models import (
    ORG_PARENT_KIND,
    ORG_PLACE_KIND,
    MemberStatus,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeamMember,
    TeamKind,
)
from linli.org.services._common import (
    actor_or_none,
    check_actor_reaches,
    check_date,
    check_reason,
    refused_as,
)
from linli.places.models import Place, PlaceKind, Resident


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def _check_secretary(secretary) -> None:
    if secretary is not None and (not secretary.is_active or getattr(secretary, "is_resident", False)):
        raise ApplicationError(_("Secretary: choose a staff member who signs in."), field="secretary")


def _check_leader(leader: Resident | None, place: Place) -> None:
    if leader is None:
        return
    if not leader.is_current or not leader.path.startswith(place.path):
        raise ApplicationError(_("The group leader must live in the building."), field="leader")
    if not PartyMembership.objects.filter(resident=leader, is_active=True).exists():
        raise ApplicationError(_("The group leader must be a registered party member."), field="leader")


@transaction.atomic
def organisation_create(*, actor, kind: str, place: Place, name: str = "", parent: PartyOrganisation | None = None,
                        secretary=None, leader: Resident | None = None) -> PartyOrganisation:
    """A committee at a community, a branch at a compound or a group at a building, under the level above (found
    from the place when ``parent`` is not given). A committee or branch has a ``secretary`` (a staff user), a
    group a ``leader`` (a party member living in the building)."""
    if kind not in OrgKind.values:
        raise ApplicationError(_("Choose the kind of organisation."), field="kind")
    kind = OrgKind(kind)
    if place.kind != ORG_PLACE_KIND[kind]:
        raise ApplicationError(
            _("A %(kind)s sits at a %(place)s.")
            % {"kind": kind.label, "place": PlaceKind(ORG_PLACE_KIND[kind]).label}, field="place")
    check_actor_reaches(actor, place.path, "place")
    parent_kind = ORG_PARENT_KIND[kind]
    if parent_kind is None and parent is not None:
        raise ApplicationError(_("A community party committee has no parent organisation."), field="parent")
    if parent_kind is not None and parent is None:
        parent = (PartyOrganisation.objects.filter(kind=parent_kind, is_active=True,
                                                   path__in=_ancestor_paths(place.path))
                  .order_by("-path").first())
    if parent_kind is not None and (
            parent is None or parent.kind != parent_kind or not parent.is_active
            or not place.path.startswith(parent.path) or place.path == parent.path):
        raise ApplicationError(
            _("A %(kind)s belongs to the %(parent)s of the place above it; create that first.")
            % {"kind": kind.label, "parent": OrgKind(parent_kind).label}, field="parent")
    taken = _("%(place)s already has a %(kind)s.") % {"place": place.name, "kind": kind.label}
    if PartyOrganisation.objects.filter(kind=kind, place=place, is_active=True).exists():
        raise ApplicationError(taken, field="place")
    if kind == OrgKind.GROUP and secretary is not None:
        raise ApplicationError(_("A party group has a leader, not a secretary."), field="secretary")
    if kind != OrgKind.GROUP and leader is not None:
        raise ApplicationError(_("A committee or branch has a secretary, not a group leader."), field="leader")
    _check_secretary(secretary)
    _check_leader(leader, place)
    name = (name or "").strip() or f"{place.name}{kind.label}"
    if len(name) > 100:
        raise ApplicationError(_("Name: at most 100 characters."), field="name")
    with refused_as(taken, field="place"):  # someone created it a moment ago
        org = PartyOrganisation.objects.create(kind=kind, name=name, place=place, parent=parent, path=place.path,
                                               secretary=secretary, leader=leader)
    audit(actor=actor, action="org.organisation_created", target=org, place_path=org.path,
          data={"kind": kind.value, "place": place.pk, "parent": parent.pk if parent else None,
                "secretary": secretary.pk if secretary else None, "leader": leader.pk if leader else None})
    return org


@transaction.atomic
def organisation_leadership_set(*, actor, organisation: PartyOrganisation, secretary=None,
                                leader: Resident | None = None) -> PartyOrganisation:
    """Name (or clear, with ``None``) the secretary of a committee or branch, or the leader of a group; the
    audit row keeps who led it before."""
    check_actor_reaches(actor, organisation.path, "organisation")
    org = PartyOrganisation.objects.select_for_update(of=("self",)).select_related("place").get(pk=organisation.pk)
    if not org.is_active:
        raise ApplicationError(_("This organisation is no longer active."), field="organisation")
    if org.kind == OrgKind.GROUP:
        if secretary is not None:
            raise ApplicationError(_("A party group has a leader, not a secretary."), field="secretary")
        _check_leader(leader, org.place)
        field, before, after = "leader", org.leader_id, leader.pk if leader else None
        org.leader = leader
    else:
        if leader is not None:
            raise ApplicationError(_("A committee or branch has a secretary, not a group leader."), field="leader")
        _check_secretary(secretary)
        field, before, after = "secretary", org.secretary_id, secretary.pk if secretary else None
        org.secretary = secretary
    if before == after:
        return org
    org.save(update_fields=[field])
    audit(actor=actor, action="org.leadership_set", target=org, place_path=org.path,
          data={"field": field, "from": before, "to": after})
    return org


# --- memberships -------------------------------------------------------------------------------------------------


def _years_between(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _branch_of(resident: Resident) -> PartyOrganisation | None:
    return PartyOrganisation.objects.filter(kind=OrgKind.BRANCH, place_id=resident.unit.compound_id,
                                            is_active=True).first()


@transaction.atomic
def membership_register(*, actor, resident: Resident, status: str, joined_on: dt.date | None = None,
                        group: PartyOrganisation | None = None, dual_registration_unit: str = "",
                        reported_on: dt.date | None = None) -> PartyMembership:
    """Register a resident's party membership with their compound's branch (and their building's group)."""
    if status not in MemberStatus.values:
        raise ApplicationError(_("Choose in service, retired or student."), field="status")
    if not resident.is_current:
        raise ApplicationError(_("%(name)s has moved out.") % {"name": resident.name}, field="resident")
    check_actor_reaches(actor, resident.path, "resident")
    already = _("%(name)s is already registered as a party member.") % {"name": resident.name}
    if PartyMembership.objects.filter(resident=resident, is_active=True).exists():
        raise ApplicationError(already, field="resident")
    branch = _branch_of(resident)
    if branch is None:
        raise ApplicationError(_("The compound has no party branch yet."), field="organisation")
    if group is None:
        group = PartyOrganisation.objects.filter(kind=OrgKind.GROUP, place_id=resident.unit.building_id,
                                                 is_active=True).first()
    elif group.kind != OrgKind.GROUP or group.place_id != resident.unit.building_id:
        raise ApplicationError(_("The party group must be the group of the member's building."), field="group")
    check_date(joined_on, "joined_on", _("The joining date"))
    if joined_on and resident.birth_date and _years_between(resident.birth_date, joined_on) < 18:
        raise ApplicationError(_("A member joins the party at 18 or older; check the joining date."),
                               field="joined_on")
    unit_name = (dual_registration_unit or "").strip()
    if unit_name and status != MemberStatus.IN_SERVICE:
        raise ApplicationError(_("Dual registration is for members in service at a workplace."),
                               field="dual_registration_unit")
    if reported_on and not unit_name:
        raise ApplicationError(_("Name the workplace that reported to the community."),
                               field="dual_registration_unit")
    check_date(reported_on, "reported_on", _("The dual registration date"))
    with refused_as(already, field="resident"):  # registered by someone else a moment ago
        membership = PartyMembership.objects.create(
            resident=resident, status=status, organisation=branch, group=group, joined_on=joined_on,
            dual_registration_unit=unit_name, reported_on=reported_on, path=resident.path,
        )
    audit(actor=actor, action="org.membership_registered", target=membership, place_path=membership.path,
          data={"resident": resident.pk, "status": status, "group": group.pk if group else None,
                "dual_registration_unit": unit_name})
    return membership


@transaction.atomic
def membership_end(*, actor, membership: PartyMembership, reason: str,
                   ended_on: dt.date | None = None) -> PartyMembership:
    """End a party membership (moved away, transferred, deceased…): the row stays with its end date, reason and
    who ended it, and what came from the membership ends with it — the anchor households it runs (and so the
    households they look after), the member's places on the red stewards (and the roles those granted), and the
    leadership of a party group."""
    from linli.org.services.anchors import anchor_household_end
    from linli.org.services.teams import team_member_remove

    check_actor_reaches(actor, membership.path, "membership")
    membership = (PartyMembership.objects.select_for_update(of=("self",)).select_related("resident")
                  .get(pk=membership.pk))
    if not membership.is_active:
        raise ApplicationError(_("This party membership has already ended."), field="membership")
    reason = check_reason(reason)
    ended_on = ended_on or timezone.localdate()
    check_date(ended_on, "ended_on", _("The end date"))
    if membership.joined_on and ended_on < membership.joined_on:
        raise ApplicationError(_("The end date is before the member joined the party."), field="ended_on")
    membership.is_active = False
    membership.ended_on = ended_on
    membership.end_reason = reason
    membership.ended_by = actor_or_none(actor)
    membership.save(update_fields=["is_active", "ended_on", "end_reason", "ended_by"])
    anchors = [anchor_household_end(actor=actor, anchor=a, ended_on=max(ended_on, a.since or ended_on),
                                    reason=(_("The party membership ended: %(reason)s") % {"reason": reason})[:200])
               for a in membership.anchor_households.filter(is_active=True)]
    steward_places = [
        team_member_remove(actor=actor, member=m, left_on=max(ended_on, m.joined_on),
                           reason=_("The party membership ended: %(reason)s") % {"reason": reason})
        for m in StewardTeamMember.objects.filter(resident=membership.resident_id, team__kind=TeamKind.RED,
                                                  left_on__isnull=True)
    ]
    groups = list(PartyOrganisation.objects.filter(leader=membership.resident_id, is_active=True))
    for group in groups:
        group.leader = None
        group.save(update_fields=["leader"])
        audit(actor=actor, action="org.leadership_set", target=group, place_path=group.path,
              data={"field": "leader", "from": membership.resident_id, "to": None, "reason": "membership_ended"})
    audit(actor=actor, action="org.membership_ended", target=membership, place_path=membership.path,
          data={"ended_on": ended_on.isoformat(), "reason": reason, "anchors_ended": [a.pk for a in anchors],
                "team_members_removed": [m.pk for m in steward_places], "groups_led": [g.pk for g in groups]})
    return membership
