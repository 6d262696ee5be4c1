"""Reporting a case: validation, number, routing, deadlines, the first event; and "me too"."""

import contextlib
import datetime as dt
import uuid
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import Role
from linli.cases import workflow
from linli.cases.models import (
    Case,
    CaseEvent,
    CaseNumberSequence,
    Category,
    Channel,
    Level,
    MeToo,
    Priority,
    State,
)
from linli.cases.services import config
from linli.cases.services.common import (
    CASE_PLACE_KINDS,
    _event,
    _is_staff,
    _notify,
    _now,
    resident_of,
    role_holders,
    supervisors_of,
    tasks_with_change,
)
from linli.cases.services.deadlines import _set_deadlines
from linli.cases.services.photos import _attach_clean, photos_clean_all, photos_removed_on_failure
from linli.cases.services.routing import routing_resolve
from linli.cases.titles import stored_title, title_for_reader
from linli.core import crypto
from linli.core.audit import audit, audit_rows
from linli.core.db import Sql, fill_in, insert_together, reserve_key
from linli.core.errors import ApplicationError
from linli.core.i18n import lazy_call, lazy_format
from linli.core.models import AuditEvent
from linli.core.scope import in_scope
from linli.places.models import Place, PlaceKind

#: A staff entry is taken on at once: the entering staff member is its first receiver (首接负责).
_ACCEPT = "accept"


class Intake(NamedTuple):
    """What :func:`case_intake` did: the case, whether it was made now (False: an earlier request with the same
    idempotency key made it), and the timeline events it wrote."""

    case: Case
    created: bool
    events: list[CaseEvent]


def _prefix(compound: Place | None) -> str:
    return (compound.code[:2] if compound else "LL").upper()


def _next_number(prefix: str, year: int) -> str:
    """The next number of the prefix and the year, from one ``UPDATE … RETURNING`` whose row lock holds until the
    report commits (numbers have neither gaps nor doubles). The way of databases that take one statement at a time
    (SQLite); PostgreSQL's intake writes the number with the case (:func:`_number_statements`)."""
    qn = connection.ops.quote_name
    sql = (f"UPDATE {qn(CaseNumberSequence._meta.db_table)} SET {qn('last')} = {qn('last')} + 1 "  # noqa: S608
           f"WHERE {qn('prefix')} = %s AND {qn('year')} = %s RETURNING {qn('last')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, year])
        row = cursor.fetchone()
        if row is None:  # the first case of the year under this prefix
            CaseNumberSequence.objects.get_or_create(prefix=prefix, year=year)
            cursor.execute(sql, [prefix, year])
            row = cursor.fetchone()
    return _number(prefix, year, row[0])


def _number(prefix: str, year: int, last: int) -> str:
    return f"{prefix}-{year}-{last:06d}"


#: Stands for the new case's number in what is built before the write knows it (the case row, its audit row, the
#: notification's title); the database writes the number in its place (:func:`_number_statements`). Random per
#: process, so that no text a person typed can hold it.
NUMBER_PLACEHOLDER = f"[number-{uuid.uuid4().hex}]"


def _number_statements(prefix: str, year: int) -> tuple[tuple[str, list], Sql]:
    """PostgreSQL: the statement that advances the counter of the prefix and the year (made on first use; its row
    lock holds until the report commits, so numbers have neither gaps nor doubles) and returns the last number,
    and the SQL of the number it gave — read back from the counter in the same transaction, for
    :data:`NUMBER_PLACEHOLDER`."""
    qn = connection.ops.quote_name
    table, last = qn(CaseNumberSequence._meta.db_table), qn("last")
    advance = (f"INSERT INTO {table} ({qn('prefix')}, {qn('year')}, {last}) VALUES (%s, %s, 1) "  # noqa: S608
               f"ON CONFLICT ({qn('prefix')}, {qn('year')}) DO UPDATE SET {last} = {table}.{last} + 1 "
               f"RETURNING {last}")
    number = Sql(f"(SELECT %s || lpad({last}::text, greatest(6, length({last}::text)), '0') FROM {table} "  # noqa: S608
                 f"WHERE {qn('prefix')} = %s AND {qn('year')} = %s)", (f"{prefix}-{year}-", prefix, year))
    return (advance, [prefix, year]), number


def case_create(*, actor, category: Category, place: Place, description: str, title: str = "", spot: str = "",
                location_note: str = "", reporter=None, reporter_user=None, reporter_name: str = "",
                reporter_phone: str = "", anonymous: bool = False, channel: str = Channel.RESIDENT_APP,
                priority: str = "", photos=(), idempotency_key: str = "", at: dt.datetime | None = None) -> Case:
    """Report a case. A resident reports for themselves (``actor`` is their account, if any); staff enter a case on
    behalf of a resident (phone call, visit) or file what a patrol found — a staff member who triages cases there
    takes it on at once (accepted, they are its first receiver, 首接负责).

    Resubmitting with the same ``idempotency_key`` (a double tap, a flaky network) returns the first case."""
    return case_intake(actor=actor, category=category, place=place, description=description, title=title, spot=spot,
                       location_note=location_note, reporter=reporter, reporter_user=reporter_user,
                       reporter_name=reporter_name, reporter_phone=reporter_phone, anonymous=anonymous,
                       channel=channel, priority=priority, photos=photos, idempotency_key=idempotency_key,
                       at=at).case


def case_intake(*, actor, idempotency_key: str = "", **fields) -> Intake:
    """:func:`case_create`, telling also whether the case was made now and which events it wrote (the API answers
    201 or 200 and the timeline from this, without reading the case again).

    The idempotency key is not looked up first: the unique (creator, key) constraint refuses a second case, and
    only then is the first one read — a replay costs a refused write, a first report no query.

    On PostgreSQL a report without photos, outside a transaction, is one write of one round trip that is its own
    transaction (:func:`linli.core.db.insert_together`); otherwise it is made in a transaction (a savepoint inside
    the caller's). Settings changed meanwhile refuse the write whole (:func:`config.guard_sql`): the report is made
    again from fresh ones."""
    key = (idempotency_key or "")[:64]
    try:
        return _intake_once(actor, key, fields)
    except config.StaleSettings:  # once more from fresh settings; a second refusal goes to the caller
        config.forget()
        for photo in fields.get("photos") or ():  # read again on the second try
            if hasattr(photo, "seek"):
                photo.seek(0)
        category = fields.get("category")
        if category is not None:  # read again: it may have been deactivated (refused below if so)
            fields["category"] = Category.objects.filter(pk=category.pk).first()
        return _intake_once(actor, key, fields)


def _intake_once(actor, key: str, fields: dict) -> Intake:
    """One attempt of :func:`case_intake`: the report written, or the case an earlier request with ``key`` made."""
    alone = connection.vendor == "postgresql" and not connection.in_atomic_block and not fields.get("photos")
    try:
        with photos_removed_on_failure(), contextlib.nullcontext() if alone else transaction.atomic():
            return _case_create(actor=actor, idempotency_key=key, **fields)
    except IntegrityError:
        if key and getattr(actor, "pk", None):
            existing = Case.objects.filter(created_by=actor, idempotency_key=key).first()
            if existing:
                return Intake(existing, False, [])
        raise


def _case_create(*, actor, category, place, description, title="", spot="", location_note="", reporter=None,
                 reporter_user=None, reporter_name="", reporter_phone="", anonymous=False,
                 channel=Channel.RESIDENT_APP, priority="", photos=(), idempotency_key="", at=None) -> Intake:
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
    reporter_name = reporter_name or ""
    if channel in (Channel.PHONE, Channel.VISIT) and not (reporter or reporter_name.strip()):
        raise ApplicationError(_("Enter the name of the resident who reported it."), field="reporter_name")
    phone = (reporter_phone or "").replace(" ", "").strip()
    if phone and (not phone.isdigit() or not 7 <= len(phone) <= 15):
        raise ApplicationError(_("Enter a valid phone number."), field="reporter_phone")
    cleaned = photos_clean_all(photos)  # every photo checked before anything is written

    compound = place if place.kind == PlaceKind.COMPOUND else place.compound
    if reporter_user is None and not staff and getattr(actor, "pk", None):
        reporter_user = actor
    if reporter is None and reporter_user is not None:
        reporter = resident_of(reporter_user)
        if reporter is not None and compound is not None and not reporter.path.startswith(compound.path):
            raise ApplicationError(_("You can report problems of your own compound only."), field="place")
    title = (title or "").strip()[:120] or stored_title(category.name_zh, place, spot)
    actor_user = actor if getattr(actor, "pk", None) else None

    # The settings held in memory; the write checks they are still current (config.guard_sql).
    snap = config.held()
    prefix, year = _prefix(compound), timezone.localtime(now).year
    number_by_database = connection.vendor == "postgresql"
    if number_by_database:  # written by the database with the case; the key is known beforehand
        number, case_key = NUMBER_PLACEHOLDER, reserve_key(Case)
    else:
        number, case_key = _next_number(prefix, year), None
    route = routing_resolve(category=category, path=place.path, compound_id=compound.pk if compound else None,
                            snap=snap)
    case = Case(
        number=number, category=category, title=title,
        description=description, place=place, compound=compound, spot=spot, location_note=(location_note or "")[:200],
        path=place.path, reporter=reporter, reporter_user=reporter_user, reporter_name=reporter_name.strip()[:64],
        reporter_phone_encrypted=crypto.encrypt(phone), reporter_phone_masked=crypto.mask_phone(phone),
        anonymous=bool(anonymous), channel=channel, created_by=actor_user,
        idempotency_key=idempotency_key, state=State.SUBMITTED,
        priority=priority or category.default_priority, level=route.level, assigned_role=route.role,
        assignee_id=route.handler_id, routing_rule_id=route.rule_id, created_at=now, updated_at=now, id=case_key,
    )
    _set_deadlines(case, now, snap=snap)
    # A staff member who may triage here takes the case on in the same write (the "accept" step of the workflow:
    # its own event and audit row, no second locked read-and-save). Other staff (a steward on a patrol) and
    # residents leave it with the receivers.
    accept = staff and workflow.TRANSITIONS[_ACCEPT].guard(actor, case)
    if accept:
        case.state, case.owner, case.version = workflow.TRANSITIONS[_ACCEPT].target, actor_user, case.version + 1
    if case_key is None:  # the key comes from the insert (SQLite): the case first, then what refers to it
        case.save(force_insert=True)
    events = [CaseEvent(case=case, actor=actor_user, at=now, action="submit", to_state=State.SUBMITTED,
                        data={"channel": channel, "route": {"level": route.level, "role": route.role}})]
    audits = [("cases.case_create", {"number": number, "category": category.code, "channel": channel})]
    if accept:
        events.append(CaseEvent(case=case, actor=actor_user, at=now, action=_ACCEPT, from_state=State.SUBMITTED,
                                to_state=case.state))
        audits.append((f"cases.{_ACCEPT}", {"from": State.SUBMITTED, "to": case.state}))
    rows = audit_rows(actor=actor, actions=audits, target=case, place_path=case.path)
    with tasks_with_change() as tasks:  # the notification's task row goes with the case
        if accept:
            _notify(case, kind=f"cases.{_ACCEPT}", reporter=True, title=lazy_format(
                gettext_lazy("Case %(number)s: %(state)s"), number=case.number, state=State(case.state).label))
        else:
            _notify(case, kind="cases.submitted", receivers=True, body=lazy_call(title_for_reader, case),
                    title=lazy_format(gettext_lazy("New case %(number)s"), number=case.number))
    guard = config.guard_sql(snap, category)
    if number_by_database:
        advance, number_sql = _number_statements(prefix, year)
        _checked, (last,) = config.guarded(lambda: insert_together(
            (Case, [case]), (CaseEvent, events), (AuditEvent, rows), *tasks.batches,
            before=[guard, advance], fill={NUMBER_PLACEHOLDER: number_sql}))
        case.number = _number(prefix, year, last[0])
        for row in rows:  # what the database filled in, in memory too
            row.data = fill_in(row.data, {NUMBER_PLACEHOLDER: case.number})
    else:
        config.guarded(lambda: insert_together((CaseEvent, events), (AuditEvent, rows), *tasks.batches,
                                               before=[guard]))
    tasks.written({NUMBER_PLACEHOLDER: case.number})
    _attach_clean(case, events[0], cleaned, actor)
    return Intake(case, True, events)


def _their_me_too(case: Case, user, resident):
    """The "me too" rows of one person on ``case`` (by their resident record, else their account), locked."""
    rows = MeToo.objects.select_for_update().filter(case=case)
    return rows.filter(resident=resident) if resident is not None else rows.filter(user=user)


@transaction.atomic
def case_me_too_withdraw(*, actor, case: Case, resident=None) -> MeToo:
    """A neighbour's problem has gone: their "me too" no longer counts on the case (kept, with when it was
    withdrawn; a timeline event only staff see). Refused when they had not said it, or the case is over."""
    if not case.is_open:
        raise ApplicationError(_("This case is no longer open."), field="case")
    user = actor if getattr(actor, "pk", None) else None
    if resident is None:
        resident = resident_of(user)
    row = None
    if user is not None or resident is not None:
        row = _their_me_too(case, user, resident).filter(withdrawn_at__isnull=True).first()
    if row is None:
        raise ApplicationError(_("You have not said “me too” for this case."), field="case")
    now = timezone.now()
    row.withdrawn_at = now
    row.save(update_fields=["withdrawn_at"])
    Case.objects.filter(pk=case.pk, me_too_count__gt=0).update(me_too_count=F("me_too_count") - 1)
    case.me_too_count = max(case.me_too_count - 1, 0)
    _event(case, actor=actor, action="me_too_withdrawn", at=now, public=False)
    audit(actor=actor, action="cases.me_too_withdraw", target=case, place_path=case.path)
    return row


def _receivers(case: Case):
    """Who receives a new case: the grid worker of its building, else the compound's branch secretary."""
    users = role_holders(case, Role.GRID_WORKER)
    return users or supervisors_of(case, Level.COMPOUND)


@transaction.atomic
@photos_removed_on_failure()
@transaction.atomic
def case_me_too(*, actor, case: Case, resident=None, note: str = "", photos=()) -> MeToo:
    """Someone has the same problem: counted on the case (once per person). What they had written in their own
    report before finding it (``note``, ``photos``) goes on the case's timeline rather than being lost."""
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
    row = _their_me_too(case, user, resident).first()
    if row is not None and row.withdrawn_at is None:
        raise ApplicationError(_("You have already said “me too” for this case."), field="case")
    if row is not None:  # withdrawn before, and the problem is back: counted again on the same row
        row.withdrawn_at = None
        row.save(update_fields=["withdrawn_at"])
    else:
        row = MeToo.objects.create(case=case, resident=resident, user=user)
    Case.objects.filter(pk=case.pk).update(me_too_count=F("me_too_count") + 1)
    case.me_too_count += 1
    cleaned = photos_clean_all(photos)  # checked before anything is written
    event = _event(case, actor=actor, action="me_too", at=timezone.now(), public=False)
    note = (note or "").strip()[:4000]
    if note or cleaned:  # a neighbour's words and photos help the handler; shown without their name
        event = _event(case, actor=actor, action="comment", at=event.at, note=note, public=True)
        _attach_clean(case, event, cleaned, actor)
    audit(actor=actor, action="cases.me_too", target=case, place_path=case.path)
    return row


