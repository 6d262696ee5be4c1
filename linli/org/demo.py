"""The demo compound's organisation: the community committee, one branch, a party group per building, the party
members (from the residents' party tags), anchor households covering every lived-in household, and the four teams
with their members — some of them staff users who sign in (``DEMO_ORG_STAFF``).

Idempotent: called by :func:`linli.core.demo.ensure_demo` on every ``manage.py demo``; it builds the organisation
only when the compound has no branch yet, and creates only the users that are missing.
"""

import datetime as dt
import math
import random

from django.db import transaction

from linli.accounts.models import Role, User
from linli.accounts.services import role_grant, user_create
from linli.core.demo import demo_token
from linli.org import services
from linli.org.models import MemberStatus, OrgKind, PartyMembership, PartyOrganisation, TeamKind
from linli.places.models import Household, Occupancy, Place, PlaceKind, Relation, Resident, Tag

SEED = 20240419
TODAY = dt.date(2026, 11, 1)
PASSWORD = "linli-demo-2024"  # noqa: S105  (the demo's printed logins, as in linli.core.demo)

#: (username, display name, role shown in the credentials file)
DEMO_ORG_STAFF = [
    ("steward1", "物业项目经理 赵明", Role.PROPERTY_STEWARD),
    ("redsteward1", "红管家队长", Role.RED_STEWARD),
    ("peacemaker1", "和事佬", Role.PEACEMAKER),
    ("assistant1", "支部书记助理 陈静", Role.BRANCH_ASSISTANT),
]
TAG_STATUS = {Tag.PARTY_IN_SERVICE: MemberStatus.IN_SERVICE, Tag.PARTY_RETIRED: MemberStatus.RETIRED,
              Tag.PARTY_STUDENT: MemberStatus.STUDENT}
WORKPLACES = ["中国海洋大学", "崂山区人民医院", "崂山区教育和体育局", "青岛市市场监督管理局崂山分局",
              "沙子口街道办事处", "国网青岛市崂山区供电公司", "崂山区税务局", "青岛银行崂山支行"]
PROPERTY_STAFF = [("物业客服主管 孙梅", "客服"), ("物业维修组长 周强", "维修"), ("秩序维护主管 吴刚", "秩序维护"),
                  ("保洁主管 郑兰", "保洁")]
TEAM_NAMES = {TeamKind.RED: "红管家队", TeamKind.PROPERTY: "物管家队", TeamKind.PEACEMAKER: "和事佬调解队",
              TeamKind.REPRESENTATIVES: "居民代表"}
#: People per anchor household, as the branch plans it.
PER_ANCHOR = 10


def _named_after(user, resident) -> None:
    """A demo account held by a resident of the compound carries their name after its role ("和事佬 王…"), as the
    other demo staff do — a mediation agreement is signed by a person, not by "和事佬"."""
    user.display_name = f"{user.display_name} {resident.name}"
    user.save(update_fields=["display_name"])


def _building_key(b: Place):
    return (len(b.code), b.code)


class OrgDemoBuilder:
    def __init__(self, compound: Place):
        self.compound = compound
        self.rng = random.Random(SEED)
        self.buildings = sorted(Place.objects.filter(compound=compound, kind=PlaceKind.BUILDING), key=_building_key)

    def build(self) -> None:
        compound = self.compound
        community = compound.parent
        committee = PartyOrganisation.objects.filter(kind=OrgKind.COMMITTEE, place=community, is_active=True).first()
        if committee is None:
            committee = services.organisation_create(actor=None, kind=OrgKind.COMMITTEE, place=community,
                                                     name=f"{community.name}党委",
                                                     secretary=User.objects.filter(username="secretary").first())
        branch = services.organisation_create(actor=None, kind=OrgKind.BRANCH, place=compound, parent=committee,
                                              name=f"{compound.name}党支部",
                                              secretary=User.objects.filter(username="branch").first())
        groups = {b.pk: services.organisation_create(actor=None, kind=OrgKind.GROUP, place=b, parent=branch,
                                                     name=f"{b.name}党小组") for b in self.buildings}
        memberships = self.memberships(groups)
        self.anchors(memberships)
        self.teams(memberships)

    def memberships(self, groups) -> list[PartyMembership]:
        rng = self.rng
        residents = (Resident.objects.filter(unit__compound=self.compound, is_current=True,
                                             tags__tag__in=list(TAG_STATUS))
                     .select_related("unit", "household").prefetch_related("tags").order_by("path", "id").distinct())
        rows = []
        for r in residents:
            status = next(TAG_STATUS[t] for t in (Tag.PARTY_RETIRED, Tag.PARTY_IN_SERVICE, Tag.PARTY_STUDENT)
                          if t in r.tag_values)
            adult = r.birth_date.replace(year=r.birth_date.year + 18, day=min(r.birth_date.day, 28))
            years = max(0, (TODAY - adult).days // 365)
            joined = min(TODAY, adult + dt.timedelta(days=365 * rng.randint(0, min(years, 30)) + rng.randrange(300)))
            unit_name, reported = "", None
            if status == MemberStatus.IN_SERVICE and rng.random() < 0.7:
                unit_name = rng.choice(WORKPLACES)
                reported = dt.date(2023, 3, 1) + dt.timedelta(days=rng.randrange(600))
            rows.append(services.membership_register(
                actor=None, resident=r, status=status, joined_on=joined, group=groups[r.unit.building_id],
                dual_registration_unit=unit_name, reported_on=reported))
        # The longest-standing retired (else any) member of each building leads its group.
        for group in groups.values():
            ms = [m for m in rows if m.group_id == group.pk]
            ms.sort(key=lambda m: (m.status != MemberStatus.RETIRED, m.joined_on or TODAY))
            if ms:
                group.leader = ms[0].resident
                group.save(update_fields=["leader"])
        return rows

    def anchors(self, memberships: list[PartyMembership]) -> None:
        """Per building: spread anchor households over the member households, then give every other lived-in
        household to the nearest anchor (same entrance first, then the fewest floors away), about ten each."""
        by_building: dict[int, list[PartyMembership]] = {}
        for m in memberships:
            by_building.setdefault(m.resident.unit.building_id, []).append(m)
        for b in self.buildings:
            households = list(Household.objects.filter(path__startswith=b.path, is_current=True,
                                                       occupancy__in=[Occupancy.OWNER_OCCUPIED, Occupancy.RENTED])
                              .select_related("unit__parent"))
            # One member per household can run it; prefer the retired (they are at home), then in service.
            chosen: dict[int, PartyMembership] = {}
            rank = {MemberStatus.RETIRED: 0, MemberStatus.IN_SERVICE: 1, MemberStatus.STUDENT: 2}
            for m in sorted(by_building.get(b.pk, []), key=lambda m: rank[m.status]):
                chosen.setdefault(m.resident.household_id, m)
            if not chosen or not households:
                continue

            def pos(h):
                return (h.unit.parent.code if h.unit.parent.kind == PlaceKind.ENTRANCE else "", h.unit.floor or 0)

            candidates = sorted((h for h in households if h.pk in chosen), key=pos)
            k = min(len(candidates), math.ceil(len(households) / PER_ANCHOR))
            picks = [candidates[round(i * (len(candidates) - 1) / max(k - 1, 1))] for i in range(k)]
            picks = list({h.pk: h for h in picks}.values())
            capacity = math.ceil((len(households) - len(picks)) / len(picks)) + 2
            others = [h for h in households if h.pk not in {p.pk for p in picks}]

            def distance(h, a):
                (he, hf), (ae, af) = pos(h), pos(a)
                return abs(hf - af) + (0 if he == ae else 40)

            pairs = sorted(((distance(h, a), h.path, i, h) for h in others for i, a in enumerate(picks)),
                           key=lambda t: t[:3])
            assigned: dict[int, int] = {}
            load = [0] * len(picks)
            for _d, _p, i, h in pairs:
                if h.pk in assigned or load[i] >= capacity:
                    continue
                assigned[h.pk] = i
                load[i] += 1
            for i, a in enumerate(picks):
                looked = [h for h in others if assigned.get(h.pk) == i]
                services.anchor_household_assign(actor=None, member=chosen[a.pk], looked_after=looked,
                                                 since=dt.date(2023, 7, 1))

    def teams(self, memberships: list[PartyMembership]) -> None:
        compound = self.compound
        users = self.users()
        teams = {kind: services.team_create(actor=None, compound=compound, kind=kind, name=compound.name + name)
                 for kind, name in TEAM_NAMES.items()}
        retired = [m for m in memberships if m.status == MemberStatus.RETIRED]
        # Red stewards: the captain (a user and a retired member) for the compound, one retired member per building.
        used: set[int] = set()
        captain = retired[0].resident
        used.add(captain.pk)
        services.team_member_add(actor=None, team=teams[TeamKind.RED], user=users["redsteward1"], resident=captain,
                                 display_name=captain.name, duty="队长", joined_on=dt.date(2023, 7, 1))
        _named_after(users["redsteward1"], captain)
        for b in self.buildings:
            m = next((m for m in retired if m.resident.unit.building_id == b.pk and m.resident_id not in used),
                     None) or next((m for m in memberships if m.resident.unit.building_id == b.pk
                                    and m.resident_id not in used), None)
            if m is None:
                continue
            used.add(m.resident_id)
            services.team_member_add(actor=None, team=teams[TeamKind.RED], resident=m.resident, buildings=[b],
                                     joined_on=dt.date(2023, 7, 1))
        # Property stewards: the manager (a user, compound-wide) and staff with no account, by building halves.
        services.team_member_add(actor=None, team=teams[TeamKind.PROPERTY], user=users["steward1"], duty="项目经理",
                                 joined_on=dt.date(2022, 1, 1))
        for i, (name, duty) in enumerate(PROPERTY_STAFF):
            half = self.buildings[:5] if i % 2 == 0 else self.buildings[5:]
            services.team_member_add(actor=None, team=teams[TeamKind.PROPERTY], display_name=name, duty=duty,
                                     buildings=half, joined_on=dt.date(2022, 1, 1))
        # Peacemakers: owners' committee members (owners); the first signs in.
        owners = list(Resident.objects.filter(unit__compound=compound, is_current=True, relation=Relation.HEAD,
                                              household__occupancy=Occupancy.OWNER_OCCUPIED,
                                              birth_date__lte=dt.date(1970, 1, 1))
                      .exclude(pk__in=used).select_related("unit").order_by("id"))
        rng = self.rng
        rng.shuffle(owners)
        for i, r in enumerate(owners[:5]):
            services.team_member_add(actor=None, team=teams[TeamKind.PEACEMAKER],
                                     user=users["peacemaker1"] if i == 0 else None, resident=r,
                                     duty="业委会主任" if i == 0 else "业委会委员", joined_on=dt.date(2024, 2, 20))
        _named_after(users["peacemaker1"], owners[0])
        # Residents' representatives: one owner per building.
        reps = owners[5:]
        for b in self.buildings:
            r = next((r for r in reps if r.unit.building_id == b.pk), None)
            if r is not None:
                services.team_member_add(actor=None, team=teams[TeamKind.REPRESENTATIVES], resident=r,
                                         buildings=[b], joined_on=dt.date(2024, 2, 20))
        if users["assistant1"].role_assignments.count() == 0:
            role_grant(actor=None, user=users["assistant1"], role=Role.BRANCH_ASSISTANT, place=compound)

    def users(self) -> dict[str, User]:
        return {username: (User.objects.filter(username=username).first()
                           or user_create(actor=None, username=username, password=PASSWORD, display_name=display))
                for username, display, _role in DEMO_ORG_STAFF}


@transaction.atomic
def ensure_org_demo(*, compound: Place, previous: dict) -> list[dict]:
    """Build the organisation if missing; return the credentials entries of the organisation's demo users
    (``previous``: the entries already in the credentials file, by username, to keep their tokens)."""
    if not PartyOrganisation.objects.filter(kind=OrgKind.BRANCH, place=compound).exists():
        OrgDemoBuilder(compound).build()
    entries = []
    for username, display, role in DEMO_ORG_STAFF:
        user = User.objects.filter(username=username).first() or user_create(
            actor=None, username=username, password=PASSWORD, display_name=display)
        token = demo_token(user, previous)
        entries.append({"role": role.value, "username": username, "password": PASSWORD, "token": token,
                        "scope": compound.name})
    return entries
