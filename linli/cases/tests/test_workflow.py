"""The workflow table: every legal transition applies, every illegal one is refused and changes nothing."""

from pathlib import Path

import pytest

from linli.cases import services, workflow
from linli.cases.models import Case, CaseEvent, Referral, State
from linli.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

LEGAL = [(action, source) for action, t in workflow.TRANSITIONS.items() for source in t.sources]
ILLEGAL = [(action, state.value) for action, t in workflow.TRANSITIONS.items() for state in State
           if state not in t.sources]


def _in_state(case: Case, state: str) -> Case:
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def _params(action, new_case):
    if action == "merge":
        return {"into": new_case(description="同一处漏水，另一位居民反映")}
    if action == "refer":
        return {"referred_to": Referral.LEGAL_AID}
    return {}


@pytest.mark.parametrize(("action", "source"), LEGAL)
def test_every_legal_transition_applies_and_leaves_an_event(action, source, new_case, branch):
    case = _in_state(new_case(), source)
    params = _params(action, new_case)
    version, events = case.version, case.events.count()
    out = services.case_transition(actor=branch, case=case, action=action, note="说明", expected_version=version,
                                   **params)
    assert out.state == workflow.TRANSITIONS[action].target
    assert out.version == version + 1
    event = case.events.order_by("-id").first()
    assert case.events.count() == events + 1
    assert (event.action, event.from_state, event.to_state, event.actor_id) == (action, source, out.state,
                                                                                 branch.pk)


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(action, state, new_case, branch):
    case = _in_state(new_case(), state)
    before = (case.version, CaseEvent.objects.filter(case=case).count())
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=branch, case=case, action=action, note="说明", **_params(action, new_case))
    assert err.value.code == "illegal"
    case.refresh_from_db()
    assert (case.state, case.version, CaseEvent.objects.filter(case=case).count()) == (state, *before)


def test_unknown_action_and_missing_note_are_refused(new_case, branch):
    case = new_case()
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=branch, case=case, action="explode")
    assert err.value.field == "action"
    services.case_transition(actor=branch, case=case, action="dispatch")
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=branch, case=case, action="return", note=" ")
    assert err.value.field == "note"
    case.refresh_from_db()
    assert case.state == State.DISPATCHED


def test_guards_refuse_actors_without_the_role_or_scope(new_case, grid2, steward, leader):
    case = new_case(building=1)  # grid 1's building, accepted by grid1
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=grid2, case=case, action="dispatch")
    assert err.value.code == "forbidden"
    services.case_transition(actor=case.owner, case=case, action="dispatch")  # to the property steward
    with pytest.raises(ApplicationError):
        services.case_transition(actor=leader(1), case=case, action="start")  # not their role
    services.case_transition(actor=steward, case=case, action="start")
    with pytest.raises(ApplicationError):
        services.case_transition(actor=steward, case=case, action="approve_postpone")  # illegal state anyway
    services.case_transition(actor=steward, case=case, action="request_postpone", note="等配件", workdays=2)
    with pytest.raises(ApplicationError) as err:
        services.case_transition(actor=steward, case=case, action="approve_postpone")
    assert err.value.code == "forbidden"  # a supervisor decides


def test_allowed_actions_follow_the_table(new_case, branch, grid2):
    case = new_case()
    assert set(workflow.allowed_actions(branch, case)) == {"merge", "dispatch", "escalate"}
    assert workflow.allowed_actions(grid2, case) == []


def test_the_documented_diagram_is_the_table():
    doc = (Path(__file__).resolve().parents[3] / "docs" / "workflows" / "cases.md").read_text()
    assert workflow.mermaid() in doc, "regenerate docs/workflows/cases.md:\n" + workflow.mermaid()
