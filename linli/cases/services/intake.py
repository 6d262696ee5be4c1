"""Reporting a case: validation, number, routing, deadlines, the first event; and "me too"."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.cases.models import (
    Case,
    CaseNumberSequence,
    Category,
    Channel,
    Level,
    MeToo,
    Priority,
    State,
)
from linli.cases.services.common import (
    CASE_PLACE_KINDS,
    _event,
    _is_staff,
    _notify,
    _now,
    resident_of,
    role_holders,
    supervisors_of,
)
from linli.cases.services.deadlines import _set_deadlines
from linli.cases.services.photos import MAX_PHOTOS, _attach
from linli.cases.services.routing import routing_resolve
from linli.cases.services.transitions import case_transition
from linli.core import crypto
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.core.scope import in_scope
from linli.places.models import Place, PlaceKind

# --- reporting -----------------------------------------------------------------------------------------------------

def _next_number(compound: Place | None, year: int) -> str:
    prefix = (compound.code[:2] if compound else "LL").upper()
    seq, _created = CaseNumberSequence.objects.select_for_update().get_or_create(prefix=prefix, year=year)
    CaseNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db(fields=["last"])
    return f"{prefix}-{year}-{seq.last:06d}"


def case_create(*, actor, category: Category, place: Place, description: str, title: str = "", spot: str = "",
                location_note: str = "", reporter=None, reporter_user=None, reporter_name: str = "",
                reporter_phone: str = "", anonymous: bool = False, channel: str = Channel.RESIDENT_APP,
                priority: str = "", photos=(), idempotency_key: str = "", at: dt.datetime | None = None) -> Case:
    """Report a case. A resident reports for themselves (``actor`` is their account, if any); staff enter a case on
    behalf of a resident (phone call, visit) or file what a patrol found — staff cases are accepted at once, the
    staff member being the first receiver (首接负责).

    Resubmitting with the same ``idempotency_key`` (a double tap, a flaky network) returns the first case."""
    if idempotency_key and getattr(actor, "pk", None):
        existing = Case.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            return _case_create(actor=actor, category=category, place=place, description=description, title=title,
                                spot=spot, location_note=location_note, reporter=reporter,
                                reporter_user=reporter_user, reporter_name=reporter_name,
                                reporter_phone=reporter_phone, anonymous=anonymous, channel=channel,
                                priority=priority, photos=photos, idempotency_key=idempotency_key, at=at)
    except IntegrityError:
        if idempotency_key and getattr(actor, "pk", None):
            existing = Case.objects.filter(created_by=actor, idempotency_key=idempotency_key).first()
            if existing:
                return existing
        raise


def _case_create(*, actor, category, place, description, title, spot, location_note, reporter, reporter_user,
                 reporter_name, reporter_phone, anonymous, channel, priority, photos, idempotency_key, at) -> Case:
    now = _now(at)
    description = (description or "").strip()
    if category is None or not category.is_active:
        raise ApplicationError(_("Choose a category."), field="category")
    if place is None or place.kind not in CASE_PLACE_KINDS:
        raise ApplicationError(_("Choose where: your unit, a building or a spot of the compound."), field="place")
    if place.kind == PlaceKind.COMPOUND and not spot:
        raise ApplicationError(_("Choose the spot of the compound (gate, garage, garden…)."), field="spot")
    if spot and spot not in dict(Case._meta.get_field("spot").choices):
        raise ApplicationError(_("Choose a spot from the list."), field="spot")
    if len(description) < 4:
        raise ApplicationError(_("Describe the problem (at least 4 characters)."), field="description")
    if len(description) > 4000:
        raise ApplicationError(_("The description may be at most 4000 characters."), field="description")
    if channel not in Channel.values:
        raise ApplicationError(_("Choose a channel."), field="channel")
    if priority and priority not in Priority.values:
        raise ApplicationError(_("Choose a priority."), field="priority")
    staff = _is_staff(actor)
    if staff and not in_scope(actor, place.path):
        raise ApplicationError(_("This place is outside your area."), field="place")
    if channel in (Channel.PHONE, Channel.VISIT) and not (reporter or reporter_name.strip()):
        raise ApplicationError(_("Enter the name of the resident who reported it."), field="reporter_name")
    phone = (reporter_phone or "").replace(" ", "").strip()
    if phone and (not phone.isdigit() or not 7 <= len(phone) <= 15):
        raise ApplicationError(_("Enter a valid phone number."), field="reporter_phone")
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}, field="photos")

    compound = place if place.kind == PlaceKind.COMPOUND else place.compound
    if reporter_user is None and not staff and getattr(actor, "pk", None):
        reporter_user = actor
    if reporter is None and reporter_user is not None:
        reporter = resident_of(reporter_user)
        if reporter is not None and compound is not None and not reporter.path.startswith(compound.path):
            raise ApplicationError(_("You can report problems of your own compound only."), field="place")
    title = (title or "").strip()[:120] or _title_for(category, place, spot)
    route = routing_resolve(category=category, path=place.path)
    case = Case(
        number=_next_number(compound, timezone.localtime(now).year), category=category, title=title,
        description=description, place=place, compound=compound, spot=spot, location_note=location_note[:200],
        path=place.path, reporter=reporter, reporter_user=reporter_user, reporter_name=reporter_name.strip()[:64],
        reporter_phone_encrypted=crypto.encrypt(phone), reporter_phone_masked=crypto.mask_phone(phone),
        anonymous=bool(anonymous), channel=channel, created_by=actor if getattr(actor, "pk", None) else None,
        idempotency_key=(idempotency_key or "")[:64], state=State.SUBMITTED,
        priority=priority or category.default_priority, level=route.level, assigned_role=route.role,
        assignee=route.handler, routing_rule=route.rule, created_at=now, updated_at=now,
    )
    _set_deadlines(case, now)
    case.save()
    event = _event(case, actor=actor, action="submit", at=now, to_state=State.SUBMITTED,
                   data={"channel": channel, "route": {"level": route.level, "role": route.role}})
    _attach(case, event, photos, actor)
    audit(actor=actor, action="cases.case_create", target=case, place_path=case.path,
          data={"number": case.number, "category": category.code, "channel": channel})
    if staff:
        case = case_transition(actor=actor, case=case, action="accept", at=now)
    else:
        _notify(case, kind="cases.submitted", title=_("New case %(number)s") % {"number": case.number},
                body=case.title, users=_receivers(case))
    return case


def _title_for(category: Category, place: Place, spot: str) -> str:
    where = dict(Case._meta.get_field("spot").choices).get(spot) if spot else place.name
    return f"{category.name_zh} · {where}"[:120]


def _receivers(case: Case):
    """Who receives a new case: the grid worker of its building, else the compound's branch secretary."""
    users = role_holders(case, Role.GRID_WORKER)
    return users or supervisors_of(case, Level.COMPOUND)


@transaction.atomic
def case_me_too(*, actor, case: Case, resident=None) -> MeToo:
    """Someone has the same problem: counted on the case (once per person)."""
    if not case.is_open:
        raise ApplicationError(_("This case is no longer open."), field="case")
    user = actor if getattr(actor, "pk", None) else None
    if resident is None:
        resident = resident_of(user)
    if user is None and resident is None:
        raise ApplicationError(_("Sign in to say “me too”."), field="case")
    if (case.reporter_user_id and user and user.pk == case.reporter_user_id) or (
            resident is not None and resident.pk == case.reporter_id):
        raise ApplicationError(_("You reported this case yourself."), field="case")
    dupe = MeToo.objects.filter(case=case)
    dupe = dupe.filter(resident=resident) if resident is not None else dupe.filter(user=user)
    if dupe.exists():
        raise ApplicationError(_("You have already said “me too” for this case."), field="case")
    row = MeToo.objects.create(case=case, resident=resident, user=user)
    Case.objects.filter(pk=case.pk).update(me_too_count=F("me_too_count") + 1)
    case.me_too_count += 1
    _event(case, actor=actor, action="me_too", at=timezone.now(), public=False)
    audit(actor=actor, action="cases.me_too", target=case, place_path=case.path)
    return row


