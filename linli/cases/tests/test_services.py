"""Reporting, triage, dispatch, feedback and reopen, duplicates, idempotency, concurrency, photos, routing."""

import io

import pytest
from PIL import Image

from linli.accounts.models import Role
from linli.cases import selectors, services
from linli.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    Channel,
    Feedback,
    Level,
    MeToo,
    Rating,
    RoutingRule,
    Spot,
    State,
)
from linli.core.audit import AuditEvent
from linli.core.errors import ApplicationError
from linli.notify.models import Notification, OutboundMessage

pytestmark = pytest.mark.django_db


def test_a_resident_reports_from_their_phone_and_the_grid_worker_is_told(resident_user, category, unit_of, grid1):
    user = resident_user(2)
    case = services.case_create(actor=user, category=category("water"), place=unit_of(2),
                                description="卫生间天花板渗水", anonymous=True, idempotency_key="k-1")
    assert case.state == State.SUBMITTED and case.reporter_user == user and case.reporter is not None
    assert case.number.startswith("LZ-") and case.path == unit_of(2).path
    assert (case.level, case.assigned_role) == (Level.COMPOUND, Role.PROPERTY_STEWARD)
    assert case.response_due_at and case.resolution_due_at
    assert Notification.objects.filter(recipient=grid1, kind="cases.submitted").exists()
    assert case.public_reporter == "匿名" or case.public_reporter == "Anonymous"
    assert AuditEvent.objects.filter(action="cases.case_create", target_id=str(case.pk)).exists()


def test_resubmitting_the_same_report_creates_one_case(resident_user, category, unit_of):
    user = resident_user(2)
    kwargs = {"actor": user, "category": category("noise"), "place": unit_of(2), "description": "楼上深夜装修噪音",
              "idempotency_key": "tap-tap"}
    first = services.case_create(**kwargs)
    second = services.case_create(**kwargs)
    assert first.pk == second.pk
    assert Case.objects.filter(created_by=user, idempotency_key="tap-tap").count() == 1


def test_a_resident_reports_only_in_their_own_compound(resident_user, category, demo):
    from linli.places.models import Place, PlaceKind

    other = Place.objects.filter(kind=PlaceKind.COMMUNITY).first()
    user = resident_user(2)
    with pytest.raises(ApplicationError) as err:
        services.case_create(actor=user, category=category("water"), place=other, description="这里漏水了")
    assert err.value.field == "place"


def test_staff_enter_a_case_on_behalf_of_a_resident_and_own_it(new_case, grid1):
    case = new_case(channel=Channel.PHONE, reporter_name="李阿姨", reporter_phone="139 0000 2222")
    assert case.state == State.ACCEPTED and case.owner == grid1
    assert case.reporter_phone_masked == "139****2222" and "2222" not in case.reporter_phone_encrypted
    assert list(case.events.values_list("action", flat=True)) == ["submit", "accept"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"description": "漏"}, "description"),
    ({"spot": ""}, "spot"),
    ({"spot": "moon"}, "spot"),
    ({"reporter_name": "", "channel": Channel.VISIT}, "reporter_name"),
    ({"reporter_phone": "12ab"}, "reporter_phone"),
    ({"priority": "whenever"}, "priority"),
])
def test_bad_input_names_the_field_and_writes_nothing(kwargs, field, new_case, demo, branch):
    before = (Case.objects.count(), CaseEvent.objects.count())
    base = {"place": demo, "spot": Spot.GATE, "actor": branch}
    base.update(kwargs)
    with pytest.raises(ApplicationError) as err:
        new_case(**base)
    assert err.value.field == field
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_staff_cannot_enter_a_case_outside_their_area(new_case, grid2):
    with pytest.raises(ApplicationError) as err:
        new_case(building=1, actor=grid2)
    assert err.value.field == "place"


def test_concurrent_dispatch_one_wins_the_other_sees_who(new_case, grid1, branch, steward):
    case = new_case(building=1)
    seen_by_a = Case.objects.get(pk=case.pk)
    seen_by_b = Case.objects.get(pk=case.pk)
    services.case_transition(actor=grid1, case=seen_by_a, action="dispatch", expected_version=seen_by_a.version)
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=branch, case=seen_by_b, action="dispatch", role=Role.RED_STEWARD,
                                 expected_version=seen_by_b.version)
    assert err.value.code == "stale"
    assert str(grid1) in str(err.value.message)
    case.refresh_from_db()
    assert case.assigned_role == Role.PROPERTY_STEWARD and case.dispatched_by == grid1
    assert case.events.filter(action="dispatch").count() == 1


def test_a_stale_action_without_version_still_says_what_happened(new_case, grid1, branch):
    case = new_case(building=1)
    old = Case.objects.get(pk=case.pk)
    services.case_transition(actor=grid1, case=case, action="dispatch")
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=branch, case=old, action="dispatch")
    assert err.value.code == "stale"


def _resolve(case, steward):
    services.case_transition(actor=case.owner, case=case, action="dispatch")
    services.case_transition(actor=steward, case=case, action="start")
    services.case_transition(actor=steward, case=case, action="resolve", note="已更换水管")


def test_feedback_not_satisfied_reopens_then_satisfied_closes(new_case, steward):
    case = new_case(building=1)
    _resolve(case, steward)
    assert OutboundMessage.objects.filter(kind="cases.resolve").exists()  # the reporter has no account: a text
    with pytest.raises(ApplicationError) as err:
        services.feedback_record(actor=None, case=case, rating=Rating.NOT_SATISFIED)
    assert err.value.field == "comment"
    services.feedback_record(actor=None, case=case, rating=Rating.NOT_SATISFIED, comment="还在漏")
    case.refresh_from_db()
    assert (case.state, case.reopen_count) == (State.REOPENED, 1)
    services.case_transition(actor=steward, case=case, action="start")
    services.case_transition(actor=steward, case=case, action="resolve", note="返工")
    services.feedback_record(actor=None, case=case, rating=Rating.BASIC)
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.closed_at and case.rating == Rating.BASIC
    assert list(Feedback.objects.filter(case=case).values_list("round", flat=True)) == [0, 1]


def test_a_resident_with_an_account_is_told_in_their_inbox(resident_user, category, unit_of, grid1, steward):
    user = resident_user(2)
    case = services.case_create(actor=user, category=category("water"), place=unit_of(2), description="厨房漏水")
    services.case_transition(actor=grid1, case=case, action="accept")
    _resolve(case, steward)
    assert Notification.objects.filter(recipient=user, kind="cases.resolve").exists()
    services.feedback_record(actor=user, case=case, rating=Rating.SATISFIED)
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_patrol_cases_close_after_verification(new_case, steward, grid1):
    case = new_case(channel=Channel.PATROL, reporter_name="", reporter_phone="")
    _resolve(case, steward)
    services.case_verify(actor=grid1, case=case, passed=False, note="还有积水")
    case.refresh_from_db()
    assert case.state == State.REOPENED and case.reopen_count == 1
    services.case_transition(actor=steward, case=case, action="start")
    services.case_transition(actor=steward, case=case, action="resolve", note="已清理")
    services.case_verify(actor=grid1, case=case, passed=True)
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_return_to_the_dispatcher_and_redispatch(new_case, steward, grid1):
    case = new_case(building=1)
    services.case_transition(actor=grid1, case=case, action="dispatch")
    services.case_transition(actor=steward, case=case, action="return", note="不是物业的事")
    case.refresh_from_db()
    assert case.state == State.RETURNED and case.return_count == 1
    assert Notification.objects.filter(recipient=grid1, kind="cases.return").exists()
    services.case_transition(actor=grid1, case=case, action="dispatch", role=Role.RED_STEWARD)
    assert case.assigned_role == Role.RED_STEWARD


def test_escalation_goes_one_level_up_and_stops_at_the_street(new_case, steward, secretary, street_officer):
    case = new_case(building=1)
    services.case_transition(actor=case.owner, case=case, action="dispatch")
    services.case_transition(actor=steward, case=case, action="escalate", note="需要社区协调")
    case.refresh_from_db()
    assert (case.level, case.assigned_role, case.escalation_count) == (Level.COMMUNITY, Role.COMMUNITY_STAFF, 1)
    assert Notification.objects.filter(recipient=secretary, kind="cases.escalate").exists()
    services.case_transition(actor=secretary, case=case, action="escalate", note="需要街道协调")
    assert case.level == Level.STREET
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=street_officer, case=case, action="escalate", note="再往上")
    assert err.value.field == "action"
    case.refresh_from_db()
    assert case.level == Level.STREET and case.escalation_count == 2


def test_waiting_for_the_reporter_pauses_the_clock(new_case, steward, at):
    case = new_case(building=1, at=at(2026, 3, 2, 9))
    services.case_transition(actor=case.owner, case=case, action="dispatch", at=at(2026, 3, 2, 10))
    services.case_transition(actor=steward, case=case, action="start", at=at(2026, 3, 2, 11))
    due = case.resolution_due_at
    services.case_transition(actor=steward, case=case, action="ask_reporter", note="请提供照片", at=at(2026, 3, 2, 12))
    services.case_transition(actor=steward, case=case, action="resume", at=at(2026, 3, 3, 12))
    case.refresh_from_db()
    assert case.resolution_due_at - due == case.paused_total and case.paused_total.days == 1


def test_postpone_needs_a_supervisor(new_case, steward, branch):
    case = new_case(building=1)
    services.case_transition(actor=case.owner, case=case, action="dispatch")
    services.case_transition(actor=steward, case=case, action="start")
    due = case.resolution_due_at
    services.case_transition(actor=steward, case=case, action="request_postpone", note="等配件", workdays=3)
    services.case_transition(actor=branch, case=case, action="approve_postpone")
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.resolution_due_at > due and case.postpone_count == 1


def test_me_too_is_counted_once_and_merge_adds_to_the_target(resident_user, new_case, category, unit_of, grid1):
    case = new_case(building=2)
    user = resident_user(3)
    services.case_me_too(actor=user, case=case)
    with pytest.raises(ApplicationError):
        services.case_me_too(actor=user, case=case)
    assert MeToo.objects.filter(case=case).count() == 1
    dupe = services.case_create(actor=resident_user(2), category=category("water"), place=unit_of(2),
                                description="同一处漏水")
    services.case_transition(actor=grid1, case=dupe, action="merge", into=case)
    case.refresh_from_db()
    dupe.refresh_from_db()
    assert case.me_too_count == 2 and dupe.merged_into == case and dupe.state == State.MERGED


def test_nearby_open_cases_suggest_duplicates(new_case, unit_of, category):
    case = new_case(building=2)
    found = selectors.nearby_open_cases(place=unit_of(2), category=category("water"))
    assert case in found
    assert case not in selectors.nearby_open_cases(place=unit_of(7), category=category("water"))


def test_every_category_routes_somewhere_in_the_demo(demo, unit_of):
    from linli.cases.models import Category

    assert selectors.unrouted_categories(path=unit_of(1).path) == []
    for cat in Category.objects.filter(is_active=True):
        route = services.routing_resolve(category=cat, path=unit_of(1).path)
        assert route.rule is not None and route.role
        for level in (Level.COMMUNITY, Level.STREET):
            assert services.routing_resolve(category=cat, path=unit_of(1).path, level=level).rule is not None


def test_the_most_specific_rule_wins(branch, category, building_of, unit_of, leader):
    rule = services.routing_rule_save(actor=branch, category=category("water"), place=building_of(1),
                                      level=Level.BUILDING, role=Role.GROUP_LEADER)
    assert services.routing_resolve(category=category("water"), path=unit_of(1).path).rule == rule
    assert services.routing_resolve(category=category("water"), path=unit_of(6).path).rule != rule
    with pytest.raises(ApplicationError) as err:
        services.routing_rule_save(actor=branch, category=category("water"), place=building_of(1),
                                   level=Level.BUILDING, role=Role.GROUP_LEADER)
    assert err.value.field == "place"
    changed = services.routing_rule_save(actor=branch, category=category("water"), place=building_of(1),
                                         level=Level.BUILDING, role=Role.GROUP_LEADER, handler=leader(1), rule=rule)
    rule.refresh_from_db()
    assert not rule.is_active and changed.handler == leader(1)
    assert RoutingRule.objects.filter(pk=rule.pk).exists()  # kept as history


# --- photos ----------------------------------------------------------------------------------------------------

def test_photos_are_reencoded_without_exif(new_case, photo):
    case = new_case(photos=[photo("JPEG"), photo("PNG", name="a.png")])
    rows = list(CaseAttachment.objects.filter(case=case))
    assert [r.content_type for r in rows] == ["image/jpeg", "image/png"]
    with rows[0].image.open("rb") as f:
        img = Image.open(io.BytesIO(f.read()))
        assert not img.getexif()
    assert rows[0].event.action == "submit"


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_written(new_case, photo):
    before = Case.objects.count()
    with pytest.raises(ApplicationError) as err:
        new_case(photos=[photo("JPEG"), photo(name="evil.jpg", data=b"<?php echo 1; ?>")])
    assert err.value.field == "photos"
    assert Case.objects.count() == before and not CaseAttachment.objects.filter(case__number__gt="").filter(
        case__created_at__isnull=True).exists()


def test_a_gif_is_refused(new_case, photo):
    from PIL import Image as PImage

    out = io.BytesIO()
    PImage.new("RGB", (5, 5)).save(out, format="GIF")
    with pytest.raises(ApplicationError):
        new_case(photos=[photo(name="x.jpg", data=out.getvalue())])


def test_a_photo_over_5_mb_is_refused(new_case, photo):
    big = photo(data=b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 1))
    with pytest.raises(ApplicationError) as err:
        new_case(photos=[big])
    assert "5 MB" in str(err.value.message)


def test_at_most_six_photos(new_case, photo):
    with pytest.raises(ApplicationError) as err:
        new_case(photos=[photo() for _ in range(7)])
    assert err.value.field == "photos"


def test_bulk_transition_reports_each_failure(new_case, branch):
    a, b = new_case(building=1), new_case(building=2)
    services.case_transition(actor=branch, case=b, action="dispatch")
    done, failed = services.case_bulk_transition(actor=branch, cases=[a, b], action="dispatch")
    assert [c.pk for c in done] == [a.pk] and failed[0][0] == b


def test_only_supervisors_edit_routing_rules_and_deadlines(grid1, branch, category, building_of, demo):
    from linli.cases.models import Priority

    with pytest.raises(ApplicationError) as err:
        services.routing_rule_save(actor=grid1, category=category("water"), place=building_of(1),
                                   level=Level.BUILDING, role=Role.GROUP_LEADER)
    assert err.value.field == "place"
    with pytest.raises(ApplicationError):
        services.routing_rule_save(actor=branch, category=category("water"), place=demo.parent,
                                   level=Level.COMMUNITY, role=Role.COMMUNITY_STAFF)  # above the branch
    with pytest.raises(ApplicationError):
        services.deadline_policy_set(actor=grid1, category=category("water"), priority=Priority.NORMAL,
                                     response_hours=12, resolution_workdays=3)
    rule = RoutingRule.objects.filter(category=category("water"), place=demo, is_active=True).get()
    with pytest.raises(ApplicationError):
        services.routing_rule_deactivate(actor=grid1, rule=rule)
    assert RoutingRule.objects.get(pk=rule.pk).is_active


def test_only_a_community_secretary_or_above_changes_the_holiday_schedule(grid1, branch, secretary):
    import datetime as dt

    from linli.cases.models import WorkdayOverride
    from linli.cases.services import workday_override_set
    from linli.core.errors import ApplicationError

    for not_allowed in (grid1, branch):  # the schedule is every compound's: a compound's secretary may not
        with pytest.raises(ApplicationError):
            workday_override_set(actor=not_allowed, date=dt.date(2027, 1, 1), is_workday=False)
    assert not WorkdayOverride.objects.filter(date=dt.date(2027, 1, 1)).exists()
    workday_override_set(actor=secretary, date=dt.date(2027, 1, 1), is_workday=False, note="元旦")
    assert WorkdayOverride.objects.filter(date=dt.date(2027, 1, 1), is_workday=False).exists()


def test_the_stored_title_is_in_the_registers_language_whoever_reports(new_case, demo, branch):
    from django.utils import translation

    from linli.cases.models import Spot

    with translation.override("en"):
        case = new_case(place=demo, spot=Spot.GARDEN, actor=branch)
    with translation.override("zh-hans"):
        label = str(Spot.GARDEN.label)
    assert case.title == f"{case.category.name_zh} · {label}"
    building = demo.children.get(code="1")
    with translation.override("en"):
        stairs = new_case(place=building, spot=Spot.STAIRWELL, actor=branch)
    with translation.override("zh-hans"):
        assert stairs.title == f"{case.category.name_zh} · {building.name} {Spot.STAIRWELL.label}"  # which building


def test_a_case_is_not_sent_to_a_role_nobody_holds_there(new_case):
    case = new_case()
    with pytest.raises(ApplicationError) as refused:
        services.case_transition(actor=case.owner, case=case, action="dispatch", role="social_worker")
    assert refused.value.field == "role" and str(Role.SOCIAL_WORKER.label) in refused.value.message
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and not case.events.filter(action="dispatch").exists()
