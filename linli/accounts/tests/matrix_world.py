"""The world the permission-matrix tests run in, built once per test module on top of the demo.

One user per role (``m_<role>``), held as low in the demo's tree as the role allows so that building 2 (grid 1) is
in every one's reach; for every kind of object of :data:`linli.accounts.permissions.SCOPES`, one inside (in the
demo, building 2 where it can be) and one outside (a second city the demo's staff do not reach). Every write goes
through the services, as the pages would make it.

:func:`build_world` runs inside a transaction that the module fixture rolls back at the end, so nothing of it
outlives the module (see ``test_permission_matrix.py``).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.test import Client, override_settings
from django.utils import timezone

from linli.accounts.models import Role
from linli.accounts.permissions import ROLE_PERMISSIONS, TWO_FACTOR_SESSION_KEY, VIEW_ALL_CASES
from linli.accounts.services import role_grant, token_issue, user_create
from linli.core.audit import audit
from linli.places.models import Grid, ImportJob, ImportKind, Merchant, Occupancy, PlaceKind, UnitUse
from linli.places.services import grid_create, household_move_in, merchant_register, place_create, resident_add
from linli.places.tests.factories import building, resident_in

PASSWORD = "a-long-test-password-1"  # noqa: S105 (test accounts)

#: Roles whose holder's reach (the role held at a grid or a building) does not cover the whole demo compound.
NOT_WHOLE_COMPOUND = {Role.GRID_WORKER, Role.GROUP_LEADER}


def reaches(role: str, scope: str) -> bool:
    """Whether the holder of ``role`` reaches the *inside* object of kind ``scope`` — the expectations, written out
    by hand from where each holder sits (docs/permissions.md, "Scope")."""
    if scope in ("whole compound", "import job"):
        return role not in NOT_WHOLE_COMPOUND
    if scope == "merchant":  # the demo's shops are in grid 1 but not in building 2
        return role != Role.GROUP_LEADER
    if scope == "mediation":  # seen through its case, or by its own peacemaker
        return VIEW_ALL_CASES in ROLE_PERMISSIONS[role] or role == Role.PEACEMAKER
    return True


@dataclass
class World:
    demo: object
    category: object = None  # a category that is not a dispute
    holders: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)  # role → a client signed in (two-factor verified)
    api: dict = field(default_factory=dict)  # role → a client sending the holder's bearer token
    inside: dict = field(default_factory=dict)  # scope → object
    outside: dict = field(default_factory=dict)  # scope → object
    cases: dict = field(default_factory=dict)  # role → a case in reach that the role may see
    submitted_case: object = None  # in building 2, not yet triaged: only roles with view_all_cases see it
    resident_page: Client | None = None
    resident_api: Client | None = None

    def inside_for(self, role: str, scope: str):
        if scope == "in body":  # the body names what it needs from all the inside objects
            return self.inside
        return self.cases[role] if scope == "case" else self.inside[scope]


def _holder(role: str, demo) -> object:
    """A user holding ``role`` at the demo, as low in the tree as the role allows (building 2 is in grid 1)."""
    user = user_create(actor=None, username=f"m_{role}", password=PASSWORD)
    community = demo.parent
    at = {
        Role.CITY_ADMIN: community.parent.parent.parent,
        Role.STREET_OFFICER: community.parent,
        Role.COMMUNITY_SECRETARY: community,
        Role.COMMUNITY_STAFF: community,
        Role.GROUP_LEADER: building(demo, "2"),
    }.get(role, demo)
    grid = Grid.objects.get(compound=demo, number=1) if role == Role.GRID_WORKER else None
    role_grant(actor=None, user=user, role=role, place=at, grid=grid)
    return user


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_SESSION_KEY] = timezone.now().isoformat()  # the reveal also needs a verified session
    session.save()
    return client


def _with_token(user) -> Client:
    return Client(headers={"authorization": f"Bearer {token_issue(actor=None, user=user, name='matrix')[1]}"})


def _categories():
    from linli.cases.models import Category

    plain = Category.objects.filter(is_active=True, is_dispute=False).order_by("sort_order", "id").first()
    dispute = Category.objects.filter(is_active=True, is_dispute=True).order_by("sort_order", "id").first()
    return plain, dispute


def _case(unit, category, description="楼道灯坏了，晚上看不见"):
    from linli.cases import services

    return services.case_create(actor=None, category=category, place=unit, description=description,
                                reporter_name="王先生", channel="phone")


def _routed(case, supervisor, role):
    """``case`` accepted and dispatched by ``supervisor`` to ``role`` (as a branch secretary would)."""
    from linli.cases import services

    case = services.case_transition(actor=supervisor, case=case, action="accept")
    return services.case_transition(actor=supervisor, case=case, action="dispatch", role=role, level="building")


def _mediation(case, actor, peacemaker):
    from linli.cases import services

    return services.mediation_start(actor=actor, case=case, peacemaker=peacemaker,
                                    parties=[{"name": "一楼住户", "side": "A"}, {"name": "二楼住户", "side": "B"}])


def _org_inside(demo):
    from linli.org.models import StewardTeam
    from linli.org.services import team_member_add

    team = StewardTeam.objects.filter(compound=demo).order_by("id").first()
    member = team_member_add(actor=None, team=team, display_name="矩阵测试成员", joined_on=dt.date(2024, 1, 1))
    return team, member


def _elsewhere(plain, dispute) -> dict:
    """A second city with one compound, building, unit, household, resident, shop, grid, team, case, mediation,
    routing rule and import: nobody of the demo reaches any of it."""
    from linli.cases import services as cases
    from linli.org.services import (
        anchor_household_designate,
        membership_register,
        organisation_create,
        team_create,
        team_member_add,
    )

    node = None
    for kind, code in [(PlaceKind.CITY, "ZZCITY"), (PlaceKind.DISTRICT, "ZZD"), (PlaceKind.STREET, "ZZS"),
                       (PlaceKind.COMMUNITY, "ZZC"), (PlaceKind.COMPOUND, "ZZY"), (PlaceKind.BUILDING, "1")]:
        node = place_create(actor=None, parent=node, kind=kind, code=code, name=f"外地{code}")
    b, compound = node, node.parent
    unit = place_create(actor=None, parent=b, kind=PlaceKind.UNIT, code="101", name="外地1-101", floor=1,
                        use=UnitUse.DWELLING)
    shop = place_create(actor=None, parent=b, kind=PlaceKind.UNIT, code="S1", name="外地商铺1", floor=1,
                        use=UnitUse.SHOP)
    household = household_move_in(actor=None, unit=unit, occupancy=Occupancy.OWNER_OCCUPIED,
                                  started_on=dt.date(2020, 1, 1))
    resident = resident_add(actor=None, household=household, name="外地居民甲", gender="F", relation="head",
                            registration="registered", phone="13900009999")
    merchant = merchant_register(actor=None, unit=shop, name="外地小卖部", trade="retail")
    grid_create(actor=None, compound=compound, number=1, name="外地网格一", buildings=[b])
    committee = organisation_create(actor=None, kind="committee", place=compound.parent, name="外地社区党委")
    organisation_create(actor=None, kind="branch", place=compound, name="外地党支部")
    membership = membership_register(actor=None, resident=resident, status="retired")
    anchor = anchor_household_designate(actor=None, member=membership)
    team = team_create(actor=None, compound=compound, kind="property", name="外地物业管家队")
    member = team_member_add(actor=None, team=team, display_name="外地管家", joined_on=dt.date(2024, 1, 1))
    zz_branch = user_create(actor=None, username="m_zz_branch", password=PASSWORD)
    role_grant(actor=None, user=zz_branch, role=Role.BRANCH_SECRETARY, place=compound)
    zz_peacemaker = user_create(actor=None, username="m_zz_peacemaker", password=PASSWORD)
    role_grant(actor=None, user=zz_peacemaker, role=Role.PEACEMAKER, place=compound)
    case = _case(unit, plain, "外地的路灯坏了很久")
    mediation = _mediation(_case(unit, dispute, "外地楼上漏水到楼下"), zz_branch, zz_peacemaker)
    rule = cases.routing_rule_save(actor=None, category=plain, place=compound, level="compound",
                                   role=Role.PROPERTY_STEWARD)
    job = ImportJob.objects.create(compound=compound, created_by=zz_branch, kind=ImportKind.UNITS,
                                   original_filename="外地.xlsx")
    audit(actor=None, action="test.elsewhere", target=resident, place_path=resident.path)
    return {"building": b, "unit": unit, "household": household, "resident": resident, "merchant": merchant,
            "compound": compound, "whole compound": compound, "import job": job, "team": team,
            "team member": member, "case": case, "mediation": mediation, "routing rule": rule,
            "organisation": committee, "membership": membership, "anchor": anchor, "staff account": zz_branch}


#: The world's accounts never sign in with their password (the clients are signed in directly): a fast hash saves
#: seconds of Argon2 per account.
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@FAST_HASHER
def build_world(demo) -> World:
    from linli.accounts.models import User
    from linli.cases import services as cases
    from linli.notify.models import OutboundMessage
    from linli.org.models import AnchorHousehold, PartyOrganisation

    w = World(demo=demo)
    plain, dispute = _categories()
    w.category = plain
    for role in Role:
        w.holders[role] = _holder(role, demo)
    branch = User.objects.get(username="branch")  # the demo's branch secretary triages the demo's cases

    resident = resident_in(demo, "2")
    b2 = building(demo, "2")
    merchant = (Merchant.objects.filter(unit__building__grid_memberships__compound=demo,
                                        unit__building__grid_memberships__number=1, is_active=True)
                .order_by("id").first())
    team, member = _org_inside(demo)
    anchor = AnchorHousehold.objects.filter(path__startswith=b2.path, is_active=True).order_by("id").first()
    job = ImportJob.objects.create(compound=demo, created_by=branch, kind=ImportKind.UNITS,
                                   original_filename="demo.xlsx")
    rule = cases.routing_rule_save(actor=None, category=plain, place=b2, level="building", role=Role.GROUP_LEADER)
    w.submitted_case = _case(resident.unit, plain)
    mediation = _mediation(_case(resident.unit, dispute, "楼上漏水到楼下，协商不成"), branch,
                           w.holders[Role.PEACEMAKER])
    w.inside = {"building": b2, "unit": resident.unit, "household": resident.household, "resident": resident,
                "merchant": merchant, "compound": demo, "whole compound": demo, "import job": job, "team": team,
                "team member": member, "mediation": mediation, "routing rule": rule,
                "organisation": PartyOrganisation.objects.get(kind="group", place=b2, is_active=True),
                "anchor": anchor, "membership": anchor.member, "staff account": branch}
    for role in Role:  # each role sees a case of building 2: every case, or one routed to it
        if VIEW_ALL_CASES in ROLE_PERMISSIONS[role]:
            w.cases[role] = w.submitted_case
        else:
            w.cases[role] = _routed(_case(resident.unit, plain, f"给{role}的诉求：门禁坏了"), branch, role)
    w.outside = _elsewhere(plain, dispute)

    audit(actor=None, action="test.inside", target=resident, place_path=resident.path)
    for path, body in [(resident.path, "矩阵验证码 111111"), (w.outside["resident"].path, "外地验证码 999999")]:
        OutboundMessage.objects.create(channel="console", to_encrypted="", to_masked="139****0000",
                                       kind="sign_in_code", body=body, place_path=path)
    for role, user in w.holders.items():
        w.pages[role] = _signed_in(user)
        w.api[role] = _with_token(user)

    from linli.accounts.models import LinkMethod
    from linli.accounts.services import resident_account_for

    account = resident_account_for(resident=resident, method=LinkMethod.PHONE)
    w.resident_page = _signed_in(account)
    w.resident_api = Client()
    w.resident_api.force_login(account)
    return w
