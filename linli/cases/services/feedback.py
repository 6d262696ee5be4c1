"""Feedback: the reporter's rating, follow-up calls, verification on the spot."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from linli.cases import workflow
from linli.cases.models import (
    Case,
    Feedback,
    FeedbackSource,
    FollowUpCall,
    Rating,
    State,
)
from linli.cases.services.common import _event, _now, _refresh
from linli.cases.services.photos import photos_removed_on_failure
from linli.cases.services.transitions import case_transition
from linli.core.audit import audit
from linli.core.crypto import decrypt
from linli.core.errors import ApplicationError


@transaction.atomic
def feedback_record(*, actor, case: Case, rating: str, comment: str = "", source: str = FeedbackSource.REPORTER,
                    expected_version: int | None = None, at: dt.datetime | None = None) -> Feedback:
    """The reporter rates a resolved case (or staff record it from a call or a verification on the spot).

    Satisfied / basically satisfied close the case; not satisfied (a reason required) reopens it for rework."""
    if rating not in Rating.values:
        raise ApplicationError(_("Choose a rating."), field="rating")
    comment = (comment or "").strip()
    if rating == Rating.NOT_SATISFIED and not comment:
        raise ApplicationError(_("Tell us what is not solved."), field="comment")
    if source not in FeedbackSource.values:
        raise ApplicationError(_("Choose a source."), field="source")
    now = _now(at)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.state != State.RESOLVED:
        raise ApplicationError(_("Only a resolved case can be rated."), field="rating")
    row = Feedback.objects.create(case=locked, rating=rating, comment=comment, source=source,
                                  recorded_by=actor if getattr(actor, "pk", None) else None,
                                  round=locked.reopen_count, at=now)
    Case.objects.filter(pk=locked.pk).update(rating=rating)
    locked.rating = rating
    _event(locked, actor=actor, action="feedback", at=now, note=comment,
           data={"rating": rating, "source": source})
    audit(actor=actor, action="cases.feedback", target=locked, place_path=locked.path,
          data={"rating": rating, "source": source})
    if rating == Rating.NOT_SATISFIED:
        case_transition(actor=actor, case=locked, action="reopen", note=comment, at=now,
                        expected_version=expected_version)
    else:
        case_transition(actor=actor, case=locked, action="close", note=comment, at=now,
                        expected_version=expected_version)
    _refresh(case, Case.objects.get(pk=locked.pk))
    return row


@transaction.atomic
def follow_up_call_record(*, actor, call: FollowUpCall, reached: bool, rating: str = "", comment: str = "",
                          at: dt.datetime | None = None) -> FollowUpCall:
    """The grid worker called the reporter: with their answer the case closes (or reopens); not reached, the case
    closes when the sweep next runs (the result stands, unrated)."""
    now = _now(at)
    call = FollowUpCall.objects.select_for_update().select_related("case").get(pk=call.pk)
    if call.done_at:
        raise ApplicationError(_("This call has already been recorded."), field="call")
    if reached and rating not in Rating.values:
        raise ApplicationError(_("Choose the rating the reporter gave."), field="rating")
    call.done_at, call.done_by, call.reached, call.note = now, actor, bool(reached), (comment or "").strip()
    call.save()
    case = call.case
    _event(case, actor=actor, action="follow_up_call", at=now, note=call.note, data={"reached": bool(reached)},
           public=False)
    audit(actor=actor, action="cases.follow_up_call", target=case, place_path=case.path,
          data={"reached": bool(reached), "rating": rating})
    if case.state == State.RESOLVED:
        if reached:
            feedback_record(actor=actor, case=case, rating=rating, comment=comment,
                            source=FeedbackSource.PHONE_CALL, at=now)
        else:
            case_transition(actor=actor, case=case, action="close", at=now, note_key="call_unreached")
    return call


def follow_up_call_phone(*, actor, call: FollowUpCall, two_factor_verified: bool) -> str:
    """The reporter's phone number in plain, to make the call: for the caller the call is assigned to (that is
    what the number is for), or staff who may reveal personal data in a session verified with a two-factor code
    (``two_factor_verified``, as every other reveal). Each reveal is recorded (``personal_data.revealed``, with the
    call as its purpose). Refused with code ``forbidden``, or ``two_factor_required`` when only the code is missing."""
    from linli.accounts.permissions import may_reveal

    if call.assignee_id != getattr(actor, "pk", None):
        if not may_reveal(actor):
            raise ApplicationError(_("Only the caller of this follow-up call may see the number."), code="forbidden")
        if not two_factor_verified:
            raise ApplicationError(_("Enter a code from your authenticator app first."), code="two_factor_required")
    case = call.case
    encrypted = case.reporter_phone_encrypted or (case.reporter.phone_encrypted if case.reporter_id else "")
    if not encrypted:
        raise ApplicationError(_("No phone number was given for this reporter."), field="call")
    audit(actor=actor, action="personal_data.revealed", target=case, place_path=case.path,
          data={"fields": ["reporter_phone"], "purpose": "follow_up_call", "call": call.pk})
    return decrypt(encrypted)


@photos_removed_on_failure()
@transaction.atomic
def case_verify(*, actor, case: Case, passed: bool, note: str = "", photos=(), expected_version=None,
                at: dt.datetime | None = None) -> Case:
    """Staff check a result on the spot (核查): passed closes the case, failed reopens it for rework."""
    if not passed and not (note or "").strip():
        raise ApplicationError(_("Write what is still wrong."), field="note")
    now = _now(at)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.state == State.RESOLVED and workflow.can_triage(actor, locked):
        Feedback.objects.create(case=locked, rating=Rating.SATISFIED if passed else Rating.NOT_SATISFIED,
                                comment=note, source=FeedbackSource.VERIFICATION, recorded_by=actor,
                                round=locked.reopen_count, at=now)
    return case_transition(actor=actor, case=locked, action="close" if passed else "reopen",
                           note=note or _("Verified on the spot."), photos=photos, at=now,
                           expected_version=expected_version)


