"""Mediation of disputes between households: start, sessions, conclusion, follow-up, the agreement."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.cases import workflow
from linli.cases.models import (
    Case,
    Level,
    Mediation,
    MediationOutcome,
    MediationParty,
    MediationSession,
    Referral,
    State,
)
from linli.cases.services.common import MEDIATION_FOLLOW_UP_DAYS, _event, _now
from linli.cases.services.transitions import case_transition
from linli.core.audit import audit
from linli.core.errors import ApplicationError


@transaction.atomic
def mediation_start(*, actor, case: Case, peacemaker, parties: Iterable[dict]) -> Mediation:
    """Open the mediation of a dispute: the peacemaker and the parties (``{"name", "household", "resident",
    "side"}``; at least two)."""
    if not case.category.is_dispute:
        raise ApplicationError(_("Only a dispute goes to mediation."), field="case")
    if not case.is_open:
        raise ApplicationError(_("This case is no longer open."), field="case")
    if hasattr(case, "mediation"):
        raise ApplicationError(_("This dispute is already in mediation."), field="case")
    if not workflow.can_handle(actor, case) and not workflow.can_triage(actor, case):
        raise ApplicationError(_("You may not start a mediation here."), field="case")
    if not workflow.can_start_mediation(actor, case):
        raise ApplicationError(_("This dispute is still at the triage desk: whoever triages it starts the "
                                 "mediation, which sends it to the peacemaker."), field="case")
    if peacemaker is None or not workflow.holds(peacemaker, {Role.PEACEMAKER}, case.path):
        raise ApplicationError(_("Choose a peacemaker of this compound."), field="peacemaker")
    parties = [p for p in parties if (p.get("name") or p.get("resident") or p.get("household"))]
    if len(parties) < 2:
        raise ApplicationError(_("Name at least two parties."), field="parties")
    case = _to_the_peacemaker(actor=actor, case=case, peacemaker=peacemaker)
    mediation = Mediation.objects.create(case=case, peacemaker=peacemaker)
    for p in parties:
        resident, household = p.get("resident"), p.get("household")
        name = p.get("name") or (resident.name if resident else str(household.unit) if household else "")
        MediationParty.objects.create(mediation=mediation, resident=resident, household=household,
                                      name=name[:64], side=(p.get("side") or "")[:32])
    _event(case, actor=actor, action="mediation", at=timezone.now(), data={"step": "start",
                                                                           "peacemaker": peacemaker.pk})
    audit(actor=actor, action="cases.mediation_start", target=mediation, place_path=case.path)
    return mediation


def _to_the_peacemaker(*, actor, case: Case, peacemaker) -> Case:
    """A dispute still at the triage desk goes to the chosen peacemaker with its mediation: whoever may triage it
    and starts the mediation takes it on (if still new) and dispatches it to the peacemaker in the same step — else
    the peacemaker could record sessions but never conclude (that needs the case in their hands, in progress)."""
    if case.state == State.SUBMITTED and workflow.can_triage(actor, case):
        case = case_transition(actor=actor, case=case, action="accept")
    if case.state in workflow.AT_THE_DESK and workflow.can_dispatch(actor, case):
        case = case_transition(actor=actor, case=case, action="dispatch", level=Level.COMPOUND,
                               role=Role.PEACEMAKER, assignee=peacemaker, note_key="to_mediation")
    return case


@transaction.atomic
def mediation_session_add(*, actor, mediation: Mediation, notes: str,
                          held_at: dt.datetime | None = None) -> MediationSession:
    """Record a meeting of the parties."""
    if mediation.outcome != MediationOutcome.PENDING:
        raise ApplicationError(_("This mediation has ended."), field="notes")
    if not (notes or "").strip():
        raise ApplicationError(_("Write the notes of the session."), field="notes")
    if actor is None or (actor.pk != mediation.peacemaker_id and not workflow.can_supervise(actor, mediation.case)):
        raise ApplicationError(_("Only the peacemaker records sessions."), field="notes")
    session = MediationSession.objects.create(mediation=mediation, held_at=held_at or timezone.now(),
                                              recorded_by=actor, notes=notes.strip())
    _event(mediation.case, actor=actor, action="mediation", at=session.held_at, data={"step": "session"},
           public=False)
    audit(actor=actor, action="cases.mediation_session", target=mediation, place_path=mediation.case.path)
    return session


@transaction.atomic
def mediation_conclude(*, actor, mediation: Mediation, outcome: str, agreement_text: str = "",
                       referred_to: str = "", note: str = "", at: dt.datetime | None = None) -> Mediation:
    """End a mediation: agreed (the agreement text; the case is resolved, a follow-up visit due in 30 days) or
    failed (referred onward: the case records where)."""
    now = _now(at)
    mediation = Mediation.objects.select_for_update().select_related("case").get(pk=mediation.pk)
    if mediation.outcome != MediationOutcome.PENDING:
        raise ApplicationError(_("This mediation has ended."), field="outcome")
    if actor is None or (actor.pk != mediation.peacemaker_id and not workflow.can_supervise(actor, mediation.case)):
        raise ApplicationError(_("Only the peacemaker concludes the mediation."), field="outcome")
    case = mediation.case
    if case.state in workflow.TRANSITIONS["start"].sources and workflow.can_handle(actor, case):
        # Dispatched to the peacemaker, who mediated without pressing "start" first: concluding starts it.
        case = case_transition(actor=actor, case=case, action="start", at=now)
    if case.state != State.IN_PROGRESS:
        raise ApplicationError(_("The case must be in progress to conclude its mediation."), field="outcome")
    if outcome == MediationOutcome.AGREED:
        if not (agreement_text or "").strip():
            raise ApplicationError(_("Write the agreement."), field="agreement_text")
        mediation.agreement_text = agreement_text.strip()
        mediation.follow_up_due = (timezone.localtime(now) + dt.timedelta(days=MEDIATION_FOLLOW_UP_DAYS)).date()
    elif outcome == MediationOutcome.FAILED:
        if referred_to not in Referral.values:
            raise ApplicationError(_("Choose where the dispute is referred to."), field="referred_to")
        mediation.referred_to = referred_to
    else:
        raise ApplicationError(_("Choose an outcome."), field="outcome")
    mediation.outcome = outcome
    mediation.concluded_at = now
    mediation.save()
    if outcome == MediationOutcome.AGREED:
        case_transition(actor=actor, case=case, action="resolve", at=now,
                        note=note, note_key="" if note else "mediation_agreed")
    else:
        case_transition(actor=actor, case=case, action="refer", at=now, referred_to=referred_to,
                        note=note, note_key="" if note else "mediation_failed")
    audit(actor=actor, action="cases.mediation_conclude", target=mediation, place_path=case.path,
          data={"outcome": outcome, "referred_to": referred_to})
    return mediation


@transaction.atomic
def mediation_follow_up(*, actor, mediation: Mediation, note: str) -> Mediation:
    """Record the follow-up visit 30 days after an agreement."""
    if mediation.outcome != MediationOutcome.AGREED:
        raise ApplicationError(_("Only an agreed mediation is followed up."), field="note")
    if not (note or "").strip():
        raise ApplicationError(_("Write what the visit found."), field="note")
    mediation.followed_up_at = timezone.now()
    mediation.follow_up_note = note.strip()
    mediation.save(update_fields=["followed_up_at", "follow_up_note"])
    _event(mediation.case, actor=actor, action="mediation", at=mediation.followed_up_at, note=note,
           data={"step": "follow_up"}, public=False)
    audit(actor=actor, action="cases.mediation_follow_up", target=mediation, place_path=mediation.case.path)
    return mediation


def mediation_agreement_html(*, mediation: Mediation) -> str:
    """The agreement (人民调解协议书-style) as HTML, for printing and signing."""
    from pathlib import Path

    from django.template import engines

    template = engines["django"].from_string((Path(__file__).parent.parent / "agreement.html").read_text())
    return template.render({
        "mediation": mediation, "case": mediation.case, "parties": list(mediation.parties.all()),
        "sessions": list(mediation.sessions.all()),
    })


def mediation_agreement_pdf(*, mediation: Mediation) -> bytes:
    """The agreement as a PDF (WeasyPrint), with lines for the parties' signatures."""
    if mediation.outcome != MediationOutcome.AGREED:
        raise ApplicationError(_("There is no agreement to print."), field="mediation")
    from weasyprint import HTML

    return HTML(string=mediation_agreement_html(mediation=mediation)).write_pdf()
