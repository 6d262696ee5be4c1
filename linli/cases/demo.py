"""The cases demo: categories, deadlines, routing rules, handler users, and a year of case history.

The history is generated from a fixed seed by driving the real services with fixed timestamps (``at=``), so that
its events, deadlines, feedback and counters are what Linli itself would have written; notifications are silenced
(:func:`linli.cases.services.quiet`). A case whose next step would fall after "now" stops there, which leaves the
recent cases open in every state. Idempotent: categories, rules and users are only added when missing, and the
history only when the compound has no case yet.
"""

import datetime as dt
import random

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from linli.accounts.models import Role, RoleAssignment, User
from linli.accounts.services import role_grant, user_create
from linli.cases import services, tasks
from linli.cases.models import (
    Case,
    Category,
    Channel,
    DeadlinePolicy,
    Level,
    MediationOutcome,
    Priority,
    Rating,
    Referral,
    ResponseTemplate,
    RoutingRule,
    Spot,
    State,
)
from linli.cases.services import config
from linli.core.errors import ApplicationError
from linli.core.i18n import in_each_language, lazy_format
from linli.places.models import Place, PlaceKind, Resident

SEED = 20261127
HISTORY_CASES = 320
HISTORY_DAYS = 365
#: Extra cases in the last days, many of them still under way, so that the queues have work in every state.
RECENT_CASES = 40
RECENT_DAYS = 12

#: code, 中文名, English name, dispute?, default priority, (response hours, resolution working days) when normal
CATEGORIES = [
    ("water", "漏水/管道", "Leaks and pipes", False, Priority.URGENT, (24, 5)),
    ("lift", "电梯", "Lifts", False, Priority.URGENT, (12, 3)),
    ("sanitation", "环境卫生", "Cleanliness and rubbish", False, Priority.NORMAL, (24, 3)),
    ("parking", "停车", "Parking", False, Priority.NORMAL, (24, 5)),
    ("noise", "噪音", "Noise", False, Priority.NORMAL, (24, 5)),
    ("neighbour", "邻里纠纷", "Dispute between neighbours", True, Priority.NORMAL, (48, 15)),
    ("property", "物业服务", "Property management service", False, Priority.NORMAL, (24, 7)),
    ("facilities", "公共设施", "Shared facilities", False, Priority.NORMAL, (24, 7)),
    ("greenery", "绿化", "Greenery", False, Priority.NORMAL, (48, 10)),
    ("safety", "安全隐患", "Safety hazard", False, Priority.URGENT, (4, 2)),
    ("other", "其他", "Other", False, Priority.NORMAL, (24, 7)),
]
#: category → (level, role) in the demo compound
ROUTES = {
    "water": (Level.COMPOUND, Role.PROPERTY_STEWARD),
    "lift": (Level.COMPOUND, Role.PROPERTY_STEWARD),
    "sanitation": (Level.COMPOUND, Role.PROPERTY_STEWARD),
    "parking": (Level.COMPOUND, Role.RED_STEWARD),
    "noise": (Level.BUILDING, Role.GROUP_LEADER),
    "neighbour": (Level.COMPOUND, Role.PEACEMAKER),
    "property": (Level.COMMUNITY, Role.COMMUNITY_STAFF),
    "facilities": (Level.COMPOUND, Role.PROPERTY_STEWARD),
    "greenery": (Level.COMPOUND, Role.PROPERTY_STEWARD),
    "safety": (Level.COMPOUND, Role.RED_STEWARD),
    "other": (Level.COMPOUND, Role.RED_STEWARD),
}
CATEGORY_WEIGHTS = {"water": 14, "lift": 10, "sanitation": 14, "parking": 12, "noise": 10, "neighbour": 6,
                    "property": 8, "facilities": 10, "greenery": 5, "safety": 6, "other": 5}
#: username, display name, role, where ("compound" | "community" | "street" | building number)
HANDLERS = [
    ("property1", "物业管家 陈志远", Role.PROPERTY_STEWARD, "compound"),
    ("red1", "红色管家 赵淑芬", Role.RED_STEWARD, "compound"),
    ("peace1", "和事佬 孙德胜", Role.PEACEMAKER, "compound"),
    ("community1", "社区居委会 周敏", Role.COMMUNITY_STAFF, "community"),
    ("street1", "沙子口街道 吴海涛", Role.STREET_OFFICER, "street"),
] + [(f"leader{n}", f"{n}号楼党小组长", Role.GROUP_LEADER, n) for n in range(1, 11)]

#: Users the org app's demo creates (linli/org/demo.py), used instead of ours when present.
ORG_USERS = {"property1": "steward1", "red1": "redsteward1", "peace1": "peacemaker1"}
DESCRIPTIONS = {
    "water": ["卫生间天花板渗水，楼上疑似水管破裂", "楼道水管漏水，地面积水", "厨房下水道堵塞反水"],
    "lift": ["电梯门关不严，运行有异响", "电梯停在两层之间，有人被困已解救", "电梯按钮失灵"],
    "sanitation": ["垃圾点满溢未及时清运，气味很大", "楼道堆放杂物影响通行", "宠物粪便无人清理"],
    "parking": ["消防通道被私家车长期占用", "地库车位被外来车辆占用", "电动车在楼道充电"],
    "noise": ["楼上深夜装修噪音", "广场舞音响声音过大", "空调外机噪音扰民"],
    "neighbour": ["楼上漏水到楼下，双方就赔偿有争议", "邻居在公共走廊堆物，协商无果", "相邻车位使用纠纷"],
    "property": ["物业维修响应慢", "物业费收费明细不清楚", "保安巡逻不到位"],
    "facilities": ["小区路灯不亮", "健身器材损坏", "单元门禁坏了"],
    "greenery": ["树枝遮挡窗户需修剪", "草坪长期缺水枯黄", "绿地被私自种菜"],
    "safety": ["外墙瓷砖松动有坠落危险", "楼道灭火器过期", "井盖缺失"],
    "other": ["快递乱堆放", "流浪猫过多", "小区公告栏信息过期"],
}
SPOTS = {
    "parking": [Spot.GARAGE, Spot.ROAD],
    "sanitation": [Spot.BINS, Spot.ROAD, Spot.GARDEN],
    "greenery": [Spot.GARDEN],
    "facilities": [Spot.SQUARE, Spot.FENCE, Spot.BIKE_SHED, Spot.GATE, Spot.ROAD],
    "safety": [Spot.ROAD, Spot.FENCE, Spot.GARAGE],
    "other": [Spot.GATE, Spot.SQUARE],
}
TEMPLATES = [
    ("accept", "已受理", "您反映的问题已受理，我们会尽快安排处理。"),
    ("reject", "不属于小区处理范围", "您反映的问题不属于小区处理范围，建议拨打12345热线。"),
    ("resolve", "已修复", "问题已处理完毕，请您确认是否满意。"),
    ("return", "派错了", "该问题不属于本岗位职责，退回重新派遣。"),
]


def ensure_categories() -> dict[str, Category]:
    """The demo's categories with their deadlines (and a few response templates)."""
    out = {}
    for order, (code, zh, en, dispute, priority, (hours, days)) in enumerate(CATEGORIES):
        cat, _created = Category.objects.get_or_create(code=code, defaults={
            "name_zh": zh, "name_en": en, "is_dispute": dispute, "default_priority": priority,
            "sort_order": order * 10})
        out[code] = cat
        for prio, (h, d) in ((Priority.NORMAL, (hours, days)), (Priority.URGENT, (min(hours, 4), min(days, 2))),
                             (Priority.EMERGENCY, (2, 1))):
            DeadlinePolicy.objects.get_or_create(category=cat, priority=prio, place=None,
                                                 defaults={"response_hours": h, "resolution_workdays": d})
    if not ResponseTemplate.objects.exists():
        ResponseTemplate.objects.bulk_create(ResponseTemplate(action=a, title=t, text=x) for a, t, x in TEMPLATES)
    return out


def ensure_handlers(compound: Place) -> dict:
    """Handler users of each role; the org app's ``steward1`` / ``redsteward1`` serve when they exist."""
    from linli.core.demo import DEMO_PASSWORD

    community, street = compound.parent, compound.parent.parent
    buildings = {int(b.code) if b.code.isdigit() else b.code: b
                 for b in Place.objects.filter(parent=compound, kind=PlaceKind.BUILDING)}
    users: dict = {}
    for username, display, role, where in HANDLERS:
        org_user = User.objects.filter(username=ORG_USERS.get(username, "-")).first()
        if org_user is not None and RoleAssignment.objects.filter(user=org_user, role=role,
                                                                  ended_at__isnull=True).exists():
            users[username] = org_user  # the org app's steward serves
            continue
        place = {"compound": compound, "community": community, "street": street}.get(where) or buildings.get(where)
        if place is None:
            continue
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=None, username=username, password=DEMO_PASSWORD, display_name=display)
        if not RoleAssignment.objects.filter(user=user, role=role, ended_at__isnull=True).exists():
            role_grant(actor=None, user=user, role=role, place=place)
        users[username] = user
    return users


def ensure_routing(compound: Place, categories: dict[str, Category], users: dict) -> None:
    """A rule per category at the compound, and the community's and the street's fallbacks."""
    community, street = compound.parent, compound.parent.parent
    handler_for_role = {Role.PROPERTY_STEWARD: users.get("property1"), Role.PEACEMAKER: users.get("peace1"),
                        Role.COMMUNITY_STAFF: users.get("community1")}
    for code, cat in categories.items():
        level, role = ROUTES.get(code, (Level.COMPOUND, Role.PROPERTY_STEWARD))
        wanted = [(compound, level, role, handler_for_role.get(role)),
                  (community, Level.COMMUNITY, Role.COMMUNITY_STAFF, users.get("community1")),
                  (street, Level.STREET, Role.STREET_OFFICER, users.get("street1"))]
        for place, lv, rl, handler in wanted:
            if not RoutingRule.objects.filter(category=cat, place=place, level=lv, is_active=True).exists():
                RoutingRule.objects.create(category=cat, place=place, path=place.path, level=lv, role=rl,
                                           handler=handler)


@transaction.atomic
def ensure_cases_demo(compound: Place) -> int:
    """Everything the cases demo needs; returns how many cases of history were generated (0 when present)."""
    categories = ensure_categories()
    users = ensure_handlers(compound)
    ensure_routing(compound, categories, users)
    config.settings_changed()  # the demo writes its rules and deadlines directly: processes must read them again
    if Case.objects.filter(compound=compound).exists():
        return 0
    with services.quiet():
        count = History(compound, categories, users).run()
        tasks.cases_sweep()
    return count


class History:
    """A year of plausible cases, each driven through the services step by step until "now"."""

    def __init__(self, compound, categories, users, seed: int = SEED, now: dt.datetime | None = None):
        self.rng = random.Random(seed)
        self.stall = False
        self.compound, self.categories, self.users = compound, categories, users
        self.now = now or timezone.now().replace(minute=0, second=0, microsecond=0)
        staff = {u.username: u for u in User.objects.filter(username__in=["branch", "grid1", "grid2", "secretary"])}
        self.branch, self.secretary = staff.get("branch"), staff.get("secretary")
        self.grid = {1: staff.get("grid1"), 2: staff.get("grid2")}
        self.buildings = list(Place.objects.filter(parent=compound, kind=PlaceKind.BUILDING).order_by("path"))
        self.units = list(Place.objects.filter(path__startswith=compound.path, kind=PlaceKind.UNIT,
                                               use="dwelling").exclude(occupancy="vacant").only(
            "pk", "path", "name", "kind", "compound_id", "building_id"))
        self.residents = list(Resident.objects.filter(path__startswith=compound.path, is_current=True).exclude(
            phone_encrypted="").only("pk", "name", "unit_id", "path", "phone_encrypted", "household_id")[:3000])
        self.by_unit: dict[int, list] = {}
        for r in self.residents:
            self.by_unit.setdefault(r.unit_id, []).append(r)

    # -- helpers --
    def building_no(self, place) -> int:
        path = place.path[len(self.compound.path):]
        head = path.split("/")[0]
        return int(head) if head.isdigit() else 1

    def grid_worker(self, place):
        if place.kind == PlaceKind.COMPOUND:
            return self.branch
        return self.grid[1] if self.building_no(place) <= 5 else self.grid[2]

    def handler(self, case):
        if case.assignee_id:
            return case.assignee
        role = case.assigned_role
        if role == Role.GROUP_LEADER:
            return self.users.get(f"leader{self.building_no(case.place)}") or self.branch
        return {Role.PROPERTY_STEWARD: self.users.get("property1"), Role.RED_STEWARD: self.users.get("red1"),
                Role.PEACEMAKER: self.users.get("peace1"), Role.COMMUNITY_STAFF: self.users.get("community1"),
                Role.STREET_OFFICER: self.users.get("street1")}.get(role) or self.branch

    def supervisor(self, case):
        return {Level.COMMUNITY: self.secretary, Level.STREET: self.users.get("street1")}.get(case.level,
                                                                                               self.branch)

    def later(self, t, low_h: float, high_h: float):
        if self.stall and self.rng.random() < 0.3:  # a recent case still under way
            return None
        t = t + dt.timedelta(hours=self.rng.uniform(low_h, high_h))
        if t.hour < 8:  # people work by day
            t = t.replace(hour=8 + self.rng.randint(0, 3))
        return t if t < self.now else None

    def where(self, code):
        rng = self.rng
        if code in SPOTS and rng.random() < 0.6:
            return self.compound, rng.choice(SPOTS[code])
        if code == "lift":
            return rng.choice(self.buildings), Spot.LIFT
        if code in ("water", "noise", "neighbour", "property") or rng.random() < 0.5:
            return rng.choice(self.units), ""
        return rng.choice(self.buildings), Spot.STAIRWELL if rng.random() < 0.5 else ""

    # -- the run --
    def run(self) -> int:
        codes = list(CATEGORY_WEIGHTS)
        weights = [CATEGORY_WEIGHTS[c] for c in codes]
        start = self.now - dt.timedelta(days=HISTORY_DAYS)
        times = sorted([start + dt.timedelta(seconds=self.rng.uniform(0, HISTORY_DAYS * 86400))
                        for _ in range(HISTORY_CASES)]
                       + [self.now - dt.timedelta(seconds=self.rng.uniform(0, RECENT_DAYS * 86400))
                          for _ in range(RECENT_CASES)])
        count = 0
        for created in times:
            created = created.replace(hour=self.rng.randint(7, 21))
            if created >= self.now:
                continue
            code = self.rng.choices(codes, weights)[0]
            self.stall = created > self.now - dt.timedelta(days=RECENT_DAYS) and self.rng.random() < 0.6
            try:
                self.one(code, created)
                count += 1
            except ApplicationError:  # a step the generator got wrong: keep the case where it stopped
                count += 1
        return count

    def one(self, code: str, t: dt.datetime) -> None:
        rng = self.rng
        cat = self.categories[code]
        place, spot = self.where(code)
        unit_residents = self.by_unit.get(place.pk) if place.kind == PlaceKind.UNIT else None
        reporter = rng.choice(unit_residents or self.residents)
        channel = rng.choices([Channel.RESIDENT_APP, Channel.PHONE, Channel.VISIT, Channel.PATROL],
                              [60, 15, 10, 15])[0]
        if cat.is_dispute and channel == Channel.PATROL:
            channel = Channel.VISIT
        desk = self.grid_worker(place)
        staff_entry = channel != Channel.RESIDENT_APP
        priority = Priority.EMERGENCY if code == "safety" and rng.random() < 0.3 else ""
        case = services.case_create(
            actor=desk if staff_entry else None, category=cat, place=place, spot=spot,
            description=rng.choice(DESCRIPTIONS[code]), reporter=None if channel == Channel.PATROL else reporter,
            anonymous=rng.random() < 0.2, channel=channel, priority=priority, at=t)
        if not staff_entry:
            t = self.later(t, 0.2, 8)
            if t is None:
                return
            if rng.random() < 0.04:
                services.case_transition(actor=desk, case=case, action="reject", at=t,
                                         note="经核实不属于小区处理范围，已告知居民拨打12345。")
                return
            services.case_transition(actor=desk, case=case, action="accept", at=t)
            if rng.random() < 0.06:  # a neighbour reports the same thing: merged as a duplicate
                dupe_at = self.later(t, 0.1, 2)
                if dupe_at is not None:
                    other = rng.choice(self.residents)
                    dupe = services.case_create(actor=None, category=cat, place=place, spot=spot, reporter=other,
                                                description=rng.choice(DESCRIPTIONS[code]), at=dupe_at)
                    services.case_transition(actor=desk, case=dupe, action="merge", into=case, at=dupe_at,
                                             note="与已有工单重复，合并处理。")
                    t = dupe_at
        self.work(case, desk, t)

    def work(self, case: Case, desk, t) -> None:
        rng = self.rng
        t = self.later(t, 0.1, 4)
        if t is None:
            return
        services.case_transition(actor=desk, case=case, action="dispatch", at=t)
        handler = self.handler(case)
        if rng.random() < 0.07:
            t = self.later(t, 0.5, 6)
            if t is None:
                return
            services.case_transition(actor=handler, case=case, action="return", at=t,
                                     note="不属于本岗位职责，请重新派遣。")
            t = self.later(t, 0.5, 6)
            if t is None:
                return
            services.case_transition(actor=desk, case=case, action="dispatch", at=t)
            handler = self.handler(case)
        t = self.later(t, 0.3, 20)
        if t is None:
            return
        services.case_transition(actor=handler, case=case, action="start", at=t)
        t = self.mediate(case, handler, t) if case.category.is_dispute else self.handle(case, handler, t)
        if t is None or case.state != State.RESOLVED:
            return
        self.feedback(case, desk, t)

    def handle(self, case, handler, t):
        rng = self.rng
        if rng.random() < 0.1:
            t = self.later(t, 2, 48)
            if t is None:
                return None
            services.case_transition(actor=handler, case=case, action="escalate", at=t,
                                     note="超出本级处置能力，申请上级协调。")
            handler = self.handler(case)
            if rng.random() < 0.25:
                t = self.later(t, 4, 72)
                if t is None:
                    return None
                services.case_transition(actor=handler, case=case, action="escalate", at=t,
                                         note="需街道协调相关职能部门。")
                handler = self.handler(case)
            t = self.later(t, 1, 24)
            if t is None:
                return None
            services.case_transition(actor=handler, case=case, action="start", at=t)
        if rng.random() < 0.06:
            t = self.later(t, 4, 48)
            if t is None:
                return None
            services.case_transition(actor=handler, case=case, action="request_postpone", at=t, workdays=3,
                                     note="需采购配件，申请延期。")
            t = self.later(t, 1, 12)
            if t is None:
                return None
            services.case_transition(actor=self.supervisor(case), case=case, action="approve_postpone", at=t)
        t = self.later(t, 2, rng.choice([24, 72, 150, 260]))
        if t is None:
            return None
        services.case_transition(actor=handler, case=case, action="resolve", at=t, note="已处理完毕，现场已恢复。")
        return t

    def mediate(self, case, peacemaker, t):
        rng = self.rng
        others = rng.sample(self.residents, 2)
        parties = [{"resident": case.reporter or others[0], "side": "申请方"}, {"resident": others[1],
                                                                              "side": "被申请方"}]
        mediation = services.mediation_start(actor=peacemaker, case=case, peacemaker=peacemaker, parties=parties)
        for _n in range(rng.randint(1, 3)):
            t = self.later(t, 24, 96)
            if t is None:
                return None
            services.mediation_session_add(actor=peacemaker, mediation=mediation, held_at=t,
                                           notes="双方陈述诉求，调解员释法说理，提出解决方案。")
        t = self.later(t, 2, 48)
        if t is None:
            return None
        if rng.random() < 0.8:
            services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.AGREED,
                                        at=t, agreement_text="一、被申请方于七日内修复漏水点并承担楼下维修费用；\n"
                                                             "二、双方今后互相谅解，和睦相处。")
            case.refresh_from_db()  # resolved through the mediation's own copy: the feedback step must see it
            return t
        services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.FAILED, at=t,
                                    referred_to=rng.choice([Referral.PEOPLES_MEDIATION, Referral.LEGAL_AID]))
        return None

    def feedback(self, case, desk, t):
        rng = self.rng
        if case.is_staff_found:
            t = self.later(t, 2, 30)
            if t is None:
                return
            passed = rng.random() > 0.06
            services.case_verify(actor=desk, case=case, passed=passed, at=t,
                                 note="" if passed else "现场核查未完全整改。")
            if not passed:
                self.rework(case, desk, t)
            return
        roll = rng.random()
        if roll < 0.09:
            t = case.resolved_at + services.FEEDBACK_WAIT + dt.timedelta(hours=1)
            if t >= self.now:
                return
            tasks._follow_up(case, t)
            call = case.follow_up_calls.order_by("-id").first()
            t = self.later(t, 2, 30)
            if t is None:
                return
            reached = rng.random() < 0.8
            services.follow_up_call_record(actor=call.assignee, call=call, reached=reached,
                                           rating=Rating.SATISFIED if reached else "", at=t,
                                           comment="电话回访，居民表示满意。" if reached else "")
            return
        t = self.later(t, 1, 60)
        if t is None:
            return
        if roll < 0.17:
            services.feedback_record(actor=None, case=case, rating=Rating.NOT_SATISFIED, at=t,
                                     comment="问题没有彻底解决，又出现了。")
            self.rework(case, desk, t)
            return
        rating = Rating.BASIC if roll < 0.32 else Rating.SATISFIED
        services.feedback_record(actor=None, case=case, rating=rating, at=t,
                                 comment="" if rating == Rating.SATISFIED else "处理还算及时。")

    def rework(self, case, desk, t):
        handler = self.handler(case)
        t = self.later(t, 1, 24)
        if t is None:
            return
        services.case_transition(actor=handler, case=case, action="start", at=t)
        t = self.later(t, 4, 72)
        if t is None:
            return
        services.case_transition(actor=handler, case=case, action="resolve", at=t, note="已返工处理。")
        t = self.later(t, 2, 30)
        if t is None:
            return
        if case.is_staff_found:
            services.case_verify(actor=desk, case=case, passed=True, at=t)
        else:
            services.feedback_record(actor=None, case=case, rating=Rating.BASIC, at=t, comment="返工后基本解决。")


#: The demo residents' own reports, so that their phone pages show the loop from their side: (category, where —
#: their unit or their building's stairwell, days ago, how far it has got, what they wrote).
REPORTER_CASES = [
    ("water", "unit", 63, "closed", "厨房水槽下面的水管接口渗水，柜子里都湿了。"),
    ("facilities", "building", 4, "resolved", "单元门的门禁刷卡没反应，老人进出不方便。"),
    ("water", "unit", 1, "asked", "卫生间墙角一直潮湿发霉，怀疑墙里的管子漏水。"),
]


@transaction.atomic
def ensure_reporter_cases(compound: Place) -> int:
    """The demo residents with an account get their own reports (:data:`REPORTER_CASES`): one closed and rated, one
    resolved and waiting for their rating, one where the handler has asked them a question — each driven through
    the services as in :class:`History`. Made once per account; returns how many cases were made."""
    from linli.accounts.models import ResidentLink

    users = ensure_handlers(compound)
    history = History(compound, ensure_categories(), users)
    made = 0
    links = (ResidentLink.objects.filter(ended_at__isnull=True, resident__unit__compound=compound)
             .select_related("user", "resident__unit__building").order_by("id"))
    for link in links:
        user, resident = link.user, link.resident
        if Case.objects.filter(reporter_user=user).exists():
            continue
        with services.quiet():
            cases = [history_case(history, user, resident, *row) for row in REPORTER_CASES]
        made += len(cases)
        _reporter_messages(user, cases, history.now)
    return made


def _reporter_messages(user, cases: list[Case], now: dt.datetime) -> None:
    """The messages the resident was sent for each step of their reports (the history is made quietly, so it told
    nobody): dated when each step happened, those older than a day already read."""
    from linli.notify.models import Notification

    rows, stamps = [], []
    for case in cases:
        url = reverse("mycases:detail", args=[case.pk])
        for event in case.events.filter(public=True, to_state__gt="").exclude(actor=user).order_by("at", "id"):
            title = lazy_format(gettext_lazy("Case %(number)s: %(state)s"), number=case.number,
                                state=State(event.to_state).label)
            body = gettext_lazy("The result has been reported. Are you satisfied? Please rate it.") if (
                event.action == "resolve") else "" if event.data.get("note_internal") else event.note  # as _tell
            texts = in_each_language(title=title, body=body)
            own = texts[settings.LANGUAGE_CODE]
            rows.append(Notification(recipient=user, kind=f"cases.{event.action}", title=own["title"],
                                     body=own.get("body", ""), texts=texts, url=url, place_path=case.path))
            stamps.append(event.at)
    for row, at in zip(Notification.objects.bulk_create(rows), stamps, strict=True):
        # auto_now_add wrote "now": each message goes back to its step's time, those older than a day read
        Notification.objects.filter(pk=row.pk).update(
            created_at=at, read_at=at + dt.timedelta(hours=2) if at < now - dt.timedelta(days=1) else None)


def history_case(history: History, user, resident, code: str, where: str, days: int, stage: str, text: str) -> Case:
    """One of the resident's own reports, taken up to ``stage`` (closed, resolved or asked) in plausible steps."""
    start = history.now - dt.timedelta(days=days, hours=3)
    place, spot = (resident.unit, "") if where == "unit" else (resident.unit.building, Spot.STAIRWELL)
    case = services.case_create(actor=user, category=history.categories[code], place=place, spot=spot,
                                description=text, reporter=resident, reporter_user=user, at=start)
    desk = history.grid_worker(place)
    step = iter(dt.timedelta(hours=h) for h in (1, 2, 20, 44, 60))
    services.case_transition(actor=desk, case=case, action="accept", at=start + next(step))
    services.case_transition(actor=desk, case=case, action="dispatch", at=start + next(step))
    handler = history.handler(case)
    services.case_transition(actor=handler, case=case, action="start", at=start + next(step))
    if stage == "asked":
        services.case_transition(actor=handler, case=case, action="ask_reporter", at=start + dt.timedelta(hours=22),
                                 note="明天上午九点到十一点您家里有人吗？我们上门看一下墙里的管子。")
        return case
    services.case_transition(actor=handler, case=case, action="resolve", at=start + next(step),
                             note="已上门检修并更换损坏部件，请您确认。")
    if stage == "closed":
        services.feedback_record(actor=user, case=case, rating=Rating.SATISFIED, comment="师傅很负责，谢谢！",
                                 at=start + next(step))
    return case
