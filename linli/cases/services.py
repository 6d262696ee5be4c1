"""Every write to the cases domain. Keyword-only, atomic, audited; nothing is ever deleted.

A case moves only through :func:`case_transition`, which applies :data:`linli.cases.workflow.TRANSITIONS`: it locks
the row, refuses an illegal or stale action with a clear message (and changes nothing), applies the action's
effects, writes a :class:`~linli.cases.models.CaseEvent`, audits and notifies. The demo loader drives these same
functions with fixed timestamps (``at=``).
"""

import contextlib
import contextvars
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role, RoleAssignment
from linli.cases import workflow
from linli.cases.models import (
    LEVEL_ORDER,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNumberSequence,
    Category,
    Channel,
    DeadlinePolicy,
    Feedback,
    FeedbackSource,
    FollowUpCall,
    Level,
    Mediation,
    MediationOutcome,
    MediationParty,
    MediationSession,
    MeToo,
    Priority,
    Rating,
    Referral,
    RoutingRule,
    State,
    WorkdayOverride,
)
from linli.core import crypto, workdays
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.core.scope import in_scope
from linli.places.models import Place, PlaceKind

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
#: When no DeadlinePolicy row exists: (response hours, resolution working days) per priority (Beijing's norms).
DEFAULT_DEADLINES = {Priority.NORMAL: (24, 7), Priority.URGENT: (4, 1), Priority.EMERGENCY: (2, 1)}
FEEDBACK_WAIT = dt.timedelta(days=3)
#: Steps between staff only: not shown on the reporter's timeline, and the reporter is not told.
INTERNAL_ACTIONS = {"return", "request_postpone", "deny_postpone"}
MEDIATION_FOLLOW_UP_DAYS = 30
CASE_PLACE_KINDS = {PlaceKind.COMPOUND, PlaceKind.BUILDING, PlaceKind.ENTRANCE, PlaceKind.UNIT}


_quiet = contextvars.ContextVar("linli_cases_quiet", default=False)


@contextlib.contextmanager
def quiet():
    """No notifications or texts inside this block (the demo's year of history must not flood inboxes)."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


# --- helpers ----------------------------------------------------------------------------------------------------------

def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def path_prefixes(path: str) -> list[str]:
    """``a/b/c/`` → ``["a/", "a/b/", "a/b/c/"]``: the paths of a node and its ancestors."""
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def case_url(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return ""


def level_place(case_or_path, level: str) -> Place | None:
    """The node that stands for ``level`` above a case's place (its building, compound, community or street)."""
    path = case_or_path if isinstance(case_or_path, str) else case_or_path.path
    return (Place.objects.filter(path__in=path_prefixes(path), kind=workflow.LEVEL_PLACE_KIND[level])
            .order_by("-depth").first())


def supervisors_of(case: Case, level: str | None = None):
    """Users who supervise ``level`` (default: the case's) over the case's place."""
    roles = workflow.LEVEL_SUPERVISOR_ROLES[level or case.level]
    from linli.accounts.models import User

    ids = RoleAssignment.objects.filter(role__in=roles, ended_at__isnull=True, grid__isnull=True,
                                        place__path__in=path_prefixes(case.path)).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def role_holders(case: Case, role: str):
    """Users holding ``role`` at a node covering the case's place (grid workers: the grid of the building)."""
    from linli.accounts.models import User

    q = RoleAssignment.objects.filter(role=role, ended_at__isnull=True)
    if role == Role.GRID_WORKER:
        ids = q.filter(grid__buildings__path__in=path_prefixes(case.path)).values("user_id")
    else:
        ids = q.filter(grid__isnull=True, place__path__in=path_prefixes(case.path)).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True))


def _notify(case: Case, *, kind: str, title: str, body: str = "", users: Iterable = (), reporter: bool = False):
    """Tell ``users`` in their inbox, and the reporter (inbox, or a text to their phone when they have no account)."""
    from linli.notify.services import notification_send_many, outbound_send

    if _quiet.get():
        return
    recipients = [u for u in users if u is not None]
    if reporter and case.reporter_user_id:
        recipients.append(case.reporter_user)
    if recipients:
        notification_send_many(recipients=recipients, kind=kind, title=title, body=body, url=case_url(case),
                               place_path=case.path)
    if reporter and not case.reporter_user_id:
        encrypted = case.reporter_phone_encrypted or (case.reporter.phone_encrypted if case.reporter_id else "")
        if encrypted:
            outbound_send(to=crypto.decrypt(encrypted), kind=kind, body=f"{title} {body}".strip(),
                          place_path=case.path)


def _event(case: Case, *, actor, action: str, at, from_state: str = "", to_state: str = "", note: str = "",
           data: dict | None = None, public: bool = True) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if getattr(actor, "pk", None) else None, at=at,
                                    action=action, from_state=from_state, to_state=to_state, note=note or "",
                                    data=data or {}, public=public)


# --- deadlines ----------------------------------------------------------------------------------------------------

def deadline_for(category: Category, priority: str) -> tuple[int, int]:
    """(response hours, resolution working days) for a category and priority."""
    policy = DeadlinePolicy.objects.filter(category=category, priority=priority).first()
    if policy:
        return policy.response_hours, policy.resolution_workdays
    return DEFAULT_DEADLINES[Priority(priority)]


def _set_deadlines(case: Case, start: dt.datetime, *, response: bool = True) -> None:
    hours, days = deadline_for(case.category, case.priority)
    if response:
        case.response_due_at = start + dt.timedelta(hours=hours)
    case.resolution_due_at = workdays.add_workdays(start, days)
    case.resolution_reminded_at = None
    case.overdue_handled_at = None


@transaction.atomic
def deadline_policy_set(*, actor, category: Category, priority: str, response_hours: int,
                        resolution_workdays: int) -> DeadlinePolicy:
    """Set how long cases of a category and priority may take (a supervisor's decision)."""
    if actor is not None and not workflow.is_supervisor(actor):
        raise ApplicationError(_("Only a supervisor may set deadlines."), field="category")
    if priority not in Priority.values:
        raise ApplicationError(_("Choose a priority."), field="priority")
    if not response_hours or response_hours < 1 or response_hours > 24 * 30:
        raise ApplicationError(_("The response time must be between 1 and 720 hours."), field="response_hours")
    if not resolution_workdays or resolution_workdays < 1 or resolution_workdays > 120:
        raise ApplicationError(_("The resolution time must be between 1 and 120 working days."),
                               field="resolution_workdays")
    policy, _created = DeadlinePolicy.objects.update_or_create(
        category=category, priority=priority,
        defaults={"response_hours": response_hours, "resolution_workdays": resolution_workdays},
    )
    audit(actor=actor, action="cases.deadline_set", target=policy,
          data={"category": category.code, "priority": priority, "response_hours": response_hours,
                "resolution_workdays": resolution_workdays})
    return policy


@transaction.atomic
def workday_override_set(*, actor, date: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    """Enter one day of the official holiday schedule (a holiday or a make-up working day) — a supervisor's task."""
    if actor is not None and not workflow.is_supervisor(actor):
        raise ApplicationError(_("Only a supervisor may change the holiday schedule."), field="date")
    if date is None:
        raise ApplicationError(_("Enter a date."), field="date")
    row, _created = WorkdayOverride.objects.update_or_create(
        date=date, defaults={"is_workday": bool(is_workday), "note": note[:64], "created_by": actor})
    audit(actor=actor, action="cases.workday_set", target=row,
          data={"date": date.isoformat(), "is_workday": bool(is_workday), "note": note})
    return row


# --- routing --------------------------------------------------------------------------------------------------------

@dataclass
class Route:
    level: str
    role: str
    handler: object | None
    rule: RoutingRule | None


def routing_resolve(*, category: Category, path: str, level: str | None = None) -> Route:
    """Where a case of ``category`` at ``path`` goes: the most specific active rule (longest place path), at
    ``level`` when given. Without a rule: the level's default role (a dispute: the compound's peacemaker)."""
    rules = RoutingRule.objects.filter(category=category, is_active=True, path__in=path_prefixes(path))
    if level:
        rules = rules.filter(level=level)
    rule = max(rules.select_related("handler"), key=lambda r: (len(r.path), -LEVEL_ORDER.index(r.level)),
               default=None)
    if rule is not None:
        return Route(rule.level, rule.role, rule.handler, rule)
    if level is None:
        level = Level.COMPOUND
        if category.is_dispute:
            return Route(level, Role.PEACEMAKER, None, None)
    return Route(level, workflow.LEVEL_DEFAULT_ROLE[Level(level)], None, None)


@transaction.atomic
def routing_rule_save(*, actor, category: Category, place: Place, level: str, role: str, handler=None,
                      note: str = "", rule: RoutingRule | None = None) -> RoutingRule:
    """Create a routing rule, or change ``rule`` (the old version is kept, inactive, as history)."""
    if level not in Level.values:
        raise ApplicationError(_("Choose a level."), field="level")
    if role not in Role.values:
        raise ApplicationError(_("Choose a role."), field="role")
    if place is None or place.kind not in {PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.COMPOUND,
                                           PlaceKind.BUILDING}:
        raise ApplicationError(_("A rule applies to a street, community, compound or building."), field="place")
    if actor is not None and not workflow.holds(actor, workflow.SUPERVISOR_ROLES, place.path):
        raise ApplicationError(_("Only a supervisor of this place may edit its routing rules."), field="place")
    if handler is not None and not RoleAssignment.objects.filter(
            user=handler, role=role, ended_at__isnull=True).exists():
        raise ApplicationError(_("The handler does not hold the role %(role)s.") % {"role": Role(role).label},
                               field="handler")
    if rule is not None:
        RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    clash = RoutingRule.objects.filter(category=category, place=place, level=level, is_active=True)
    if clash.exists():
        raise ApplicationError(_("A rule for this category, place and level exists already."), field="place")
    new = RoutingRule.objects.create(category=category, place=place, path=place.path, level=level, role=role,
                                     handler=handler, note=note[:200], updated_by=actor)
    audit(actor=actor, action="cases.routing_rule_save", target=new, place_path=place.path,
          data={"category": category.code, "level": level, "role": role,
                "handler": handler.pk if handler else None, "replaces": rule.pk if rule else None})
    return new


@transaction.atomic
def routing_rule_deactivate(*, actor, rule: RoutingRule) -> RoutingRule:
    """Switch a rule off (kept as history)."""
    if actor is not None and not workflow.holds(actor, workflow.SUPERVISOR_ROLES, rule.path):
        raise ApplicationError(_("Only a supervisor of this place may edit its routing rules."), field="rule")
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    rule.is_active = False
    audit(actor=actor, action="cases.routing_rule_deactivate", target=rule, place_path=rule.path)
    return rule


# --- photos -------------------------------------------------------------------------------------------------------

def photo_clean(upload) -> tuple[ContentFile, str]:
    """Check an uploaded photo (JPEG, PNG or WebP by its content, at most 5 MB) and re-encode it without EXIF.

    Returns the clean file and its content type; raises ApplicationError naming the ``photos`` field."""
    from PIL import Image, ImageOps

    size = getattr(upload, "size", None)
    data = upload.read() if size is None or size <= MAX_PHOTO_BYTES else b""
    if size is None:
        size = len(data)
    if size > MAX_PHOTO_BYTES:
        raise ApplicationError(_("A photo may be at most 5 MB (“%(name)s” is bigger).")
                               % {"name": getattr(upload, "name", "")}, field="photos")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in PHOTO_FORMATS:
            raise ValueError(fmt)
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            clean = ImageOps.exif_transpose(img)
            if fmt == "JPEG" and clean.mode not in ("RGB", "L"):
                clean = clean.convert("RGB")
            out = io.BytesIO()
            clean.save(out, format=fmt, **({"quality": 85} if fmt in ("JPEG", "WEBP") else {}))
    except (ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ApplicationError(_("“%(name)s” is not a JPEG, PNG or WebP photo.")
                               % {"name": getattr(upload, "name", "")}, field="photos") from None
    content_type, ext = PHOTO_FORMATS[fmt]
    return ContentFile(out.getvalue(), name=f"photo.{ext}"), content_type


def _attach(case: Case, event: CaseEvent | None, photos, actor) -> list[CaseAttachment]:
    photos = list(photos or [])
    if not photos:
        return []
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}, field="photos")
    cleaned = [photo_clean(p) for p in photos]  # all checked before any is saved
    rows = []
    for content, content_type in cleaned:
        row = CaseAttachment(case=case, event=event, content_type=content_type, size=content.size,
                             uploaded_by=actor if getattr(actor, "pk", None) else None)
        row.image.save(content.name, content, save=False)
        row.save()
        rows.append(row)
    return rows


# --- reporting -----------------------------------------------------------------------------------------------------

def _next_number(compound: Place | None, year: int) -> str:
    prefix = (compound.code[:2] if compound else "LL").upper()
    seq, _created = CaseNumberSequence.objects.select_for_update().get_or_create(prefix=prefix, year=year)
    CaseNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq.refresh_from_db(fields=["last"])
    return f"{prefix}-{year}-{seq.last:06d}"


def _is_staff(user) -> bool:
    return bool(user is not None and workflow.role_paths(user))


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


def resident_of(user):
    """The register's resident behind a resident account (None for staff or an unlinked account)."""
    if user is None or not getattr(user, "is_resident", False):
        return None
    from linli.accounts.models import ResidentLink

    link = ResidentLink.objects.filter(user=user, ended_at__isnull=True).select_related("resident").first()
    return link.resident if link else None


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


# --- the lifecycle --------------------------------------------------------------------------------------------------

def _stale_message(case: Case, action: str) -> str:
    last = case.events.exclude(action__in=["me_too", "comment", "remind", "attach"]).select_related(
        "actor").order_by("-at", "-id").first()
    if last is None:
        return _("This case was changed by someone else; reload it.")
    who = str(last.actor) if last.actor_id else _("Linli")
    return _("This case was already %(action)s by %(who)s at %(time)s (it is now “%(state)s”); nothing was "
             "changed.") % {"action": workflow.action_label(last.action), "who": who,
                            "time": timezone.localtime(last.at).strftime("%H:%M"),
                            "state": State(case.state).label}


@transaction.atomic
def case_transition(*, actor, case: Case, action: str, note: str = "", expected_version: int | None = None,
                    at: dt.datetime | None = None, photos=(), **params) -> Case:
    """Apply ``action`` to ``case`` (see :data:`linli.cases.workflow.TRANSITIONS`) and return the updated case.

    Refused with an ApplicationError — and nothing changed — when the action is unknown, illegal in the case's
    state, not allowed to ``actor``, missing its note or parameters, or when ``expected_version`` is not the
    case's version any more (someone else acted first). ``params`` by action: dispatch ``role``, ``assignee``,
    ``level``; merge ``into``; approve_postpone / request_postpone ``workdays``; refer ``referred_to``."""
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise ApplicationError(_("Unknown action “%(action)s”.") % {"action": action}, field="action")
    locked = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
    if expected_version is not None and locked.version != int(expected_version):
        raise ApplicationError(_stale_message(locked, action), field="version", code="stale")
    if locked.state not in transition.sources:
        if expected_version is None and locked.version != case.version:
            raise ApplicationError(_stale_message(locked, action), field="version", code="stale")
        raise ApplicationError(
            _("A case that is “%(state)s” cannot be given the action “%(action)s”.")
            % {"state": State(locked.state).label, "action": transition.label}, field="action", code="illegal")
    if not transition.guard(actor, locked):
        raise ApplicationError(_("You may not %(action)s this case.") % {"action": transition.label},
                               field="action", code="forbidden")
    note = (note or "").strip()
    if transition.note_required and not note:
        raise ApplicationError(_("Write a note: why “%(action)s”?") % {"action": transition.label}, field="note")
    now = _now(at)
    from_state = locked.state
    data: dict = {}
    tell_users: list = []
    EFFECTS[action](locked, actor=actor, now=now, params=params, data=data, tell=tell_users)
    locked.state = transition.target
    locked.version += 1
    locked.updated_at = now
    locked.save()
    event = _event(locked, actor=actor, action=action, at=now, from_state=from_state, to_state=locked.state,
                   note=note, data=data, public=action not in INTERNAL_ACTIONS)
    if photos:
        attached = _attach(locked, event, photos, actor)
        event.data = {**event.data, "photos": [a.pk for a in attached]}
        event.save(update_fields=["data"])
    audit(actor=actor, action=f"cases.{action}", target=locked, place_path=locked.path,
          data={"from": from_state, "to": locked.state, **{k: v for k, v in data.items() if k != "note"}})
    title = _("Case %(number)s: %(state)s") % {"number": locked.number, "state": State(locked.state).label}
    if action == "resolve" and not locked.is_staff_found:
        body = _("The result has been reported. Are you satisfied? Please rate it.")
    else:
        body = note
    _notify(locked, kind=f"cases.{action}", title=title, body=body,
            users=[u for u in tell_users if u is not None and u != actor],
            reporter=action not in INTERNAL_ACTIONS)
    _refresh(case, locked)
    return locked


def _refresh(case: Case, fresh: Case) -> None:
    """Bring the caller's instance up to date (setting each field also drops stale cached relations)."""
    if case is fresh:
        return
    for field in Case._meta.concrete_fields:
        setattr(case, field.attname, getattr(fresh, field.attname))


def _fx_accept(case, *, actor, now, params, data, tell):
    if case.owner_id is None and getattr(actor, "pk", None):
        case.owner = actor


def _fx_reject(case, *, actor, now, params, data, tell):
    case.closed_at = now


def _fx_merge(case, *, actor, now, params, data, tell):
    into = params.get("into")
    if into is None:
        raise ApplicationError(_("Choose the case to merge into."), field="into")
    into = Case.objects.select_for_update().get(pk=into.pk if isinstance(into, Case) else into)
    if into.pk == case.pk or not into.is_open or into.merged_into_id:
        raise ApplicationError(_("Merge into another open case."), field="into")
    if into.compound_id != case.compound_id:
        raise ApplicationError(_("Merge only into a case of the same compound."), field="into")
    case.merged_into = into
    case.closed_at = now
    Case.objects.filter(pk=into.pk).update(me_too_count=F("me_too_count") + 1 + case.me_too_count)
    _event(into, actor=actor, action="me_too", at=now, data={"merged": case.number}, public=False)
    data["into"] = into.number


def _fx_dispatch(case, *, actor, now, params, data, tell):
    level = params.get("level") or case.level
    if level not in Level.values:
        raise ApplicationError(_("Choose a level."), field="level")
    role = params.get("role")
    assignee = params.get("assignee")
    if not role:
        route = routing_resolve(category=case.category, path=case.path, level=level)
        role = route.role
        assignee = assignee or route.handler
        case.routing_rule = route.rule
    if role not in Role.values:
        raise ApplicationError(_("Choose a role."), field="role")
    if assignee is not None and not workflow.holds(assignee, {role}, case.path) and not workflow.holds(
            assignee, workflow.SUPERVISOR_ROLES, case.path):
        raise ApplicationError(_("%(user)s does not hold the role %(role)s here.")
                               % {"user": assignee, "role": Role(role).label}, field="assignee")
    case.level, case.assigned_role, case.assignee = level, role, assignee
    case.dispatched_by = actor if getattr(actor, "pk", None) else None
    if case.owner_id is None and getattr(actor, "pk", None):
        case.owner = actor
    data.update({"level": level, "role": role, "assignee": assignee.pk if assignee else None})
    tell.extend([assignee] if assignee else role_holders(case, role))


def _fx_start(case, *, actor, now, params, data, tell):
    if case.responded_at is None:
        case.responded_at = now
    if case.assignee_id is None and getattr(actor, "pk", None):
        case.assignee = actor


def _fx_return(case, *, actor, now, params, data, tell):
    case.return_count += 1
    tell.append(case.dispatched_by or case.owner)
    data["returned_by_role"] = case.assigned_role
    case.assignee = None


def _fx_escalate(case, *, actor, now, params, data, tell):
    up = workflow.next_level(case.level)
    if up is None:
        raise ApplicationError(_("This case is at the street level already and cannot be escalated further."),
                               field="action")
    if case.paused_at is not None:
        _unpause(case, now)
    route = routing_resolve(category=case.category, path=case.path, level=up)
    data.update({"from_level": case.level, "to_level": up, "role": route.role})
    case.level, case.assigned_role, case.assignee, case.routing_rule = up, route.role, route.handler, route.rule
    case.escalation_count += 1
    _set_deadlines(case, now, response=False)
    case.response_reminded_at = None
    tell.extend(supervisors_of(case, up))
    tell.extend([route.handler] if route.handler else role_holders(case, route.role))


def _unpause(case, now):
    paused = now - case.paused_at
    case.paused_total += paused
    if case.response_due_at:
        case.response_due_at += paused
    if case.resolution_due_at:
        case.resolution_due_at += paused
    case.paused_at = None


def _fx_ask_reporter(case, *, actor, now, params, data, tell):
    case.paused_at = now


def _fx_resume(case, *, actor, now, params, data, tell):
    if case.paused_at is not None:
        _unpause(case, now)


def _workdays_param(params, default: int) -> int:
    try:
        n = int(params.get("workdays") or default)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= 60:
        raise ApplicationError(_("Ask for between 1 and 60 working days."), field="workdays")
    return n


def _fx_request_postpone(case, *, actor, now, params, data, tell):
    data["workdays"] = _workdays_param(params, 3)
    tell.extend(supervisors_of(case))


def _fx_approve_postpone(case, *, actor, now, params, data, tell):
    asked = case.events.filter(action="request_postpone").order_by("-at", "-id").first()
    n = _workdays_param(params, (asked.data.get("workdays") if asked else None) or 3)
    case.resolution_due_at = workdays.add_workdays(max(case.resolution_due_at or now, now), n)
    case.resolution_reminded_at = None
    case.overdue_handled_at = None
    case.postpone_count += 1
    data["workdays"] = n
    data["resolution_due_at"] = case.resolution_due_at.isoformat()
    tell.append(case.assignee)


def _fx_deny_postpone(case, *, actor, now, params, data, tell):
    tell.append(case.assignee)


def _fx_resolve(case, *, actor, now, params, data, tell):
    case.resolved_at = now
    case.feedback_requested_at = None if case.is_staff_found else now
    if case.is_staff_found:
        tell.extend(role_holders(case, Role.GRID_WORKER) or supervisors_of(case, Level.COMPOUND))
    tell.append(case.owner)


def _fx_close(case, *, actor, now, params, data, tell):
    case.closed_at = now


def _fx_reopen(case, *, actor, now, params, data, tell):
    case.reopen_count += 1
    case.resolved_at = None
    case.feedback_requested_at = None
    case.overdue_handled_at = None
    tell.append(case.assignee)
    tell.append(case.dispatched_by)


def _fx_refer(case, *, actor, now, params, data, tell):
    referred = params.get("referred_to")
    if referred not in Referral.values:
        raise ApplicationError(_("Choose where the case is referred to."), field="referred_to")
    case.referred_to = referred
    case.referred_note = (params.get("referred_note") or "")[:200]
    case.closed_at = now
    data["referred_to"] = referred


EFFECTS = {
    "accept": _fx_accept, "reject": _fx_reject, "merge": _fx_merge, "dispatch": _fx_dispatch, "start": _fx_start,
    "return": _fx_return, "escalate": _fx_escalate, "ask_reporter": _fx_ask_reporter, "resume": _fx_resume,
    "request_postpone": _fx_request_postpone, "approve_postpone": _fx_approve_postpone,
    "deny_postpone": _fx_deny_postpone, "resolve": _fx_resolve, "close": _fx_close, "reopen": _fx_reopen,
    "refer": _fx_refer,
}
assert set(EFFECTS) == set(workflow.TRANSITIONS), "every transition has its effects"  # noqa: S101


def case_bulk_transition(*, actor, cases: Iterable[Case], action: str, note: str = "", **params):
    """The same action on several cases (a supervisor's bulk act); each case on its own: returns
    ``(done, failed)`` where ``failed`` is ``[(case, message)]`` — a refused case does not stop the others."""
    done, failed = [], []
    for case in cases:
        try:
            done.append(case_transition(actor=actor, case=case, action=action, note=note,
                                        expected_version=case.version, **params))
        except ApplicationError as exc:
            failed.append((case, str(exc.message)))
    return done, failed


@transaction.atomic
def case_comment(*, actor, case: Case, note: str, photos=(), public: bool = True) -> CaseEvent:
    """A note (and photos) on the timeline without a change of state."""
    note = (note or "").strip()
    if not note and not photos:
        raise ApplicationError(_("Write a note or add a photo."), field="note")
    event = _event(case, actor=actor, action="comment", at=timezone.now(), note=note, public=public)
    _attach(case, event, photos, actor)
    audit(actor=actor, action="cases.comment", target=case, place_path=case.path)
    return event


# --- feedback ----------------------------------------------------------------------------------------------------

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
    FollowUpCall.objects.filter(case=locked, done_at__isnull=True).update(done_at=now, note=_("Rated meanwhile."))
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
            case_transition(actor=actor, case=case, action="close", at=now,
                            note=_("Closed after a follow-up call: the reporter could not be reached."))
    return call


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


# --- mediation --------------------------------------------------------------------------------------------------

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
    if peacemaker is None or not workflow.holds(peacemaker, {Role.PEACEMAKER}, case.path):
        raise ApplicationError(_("Choose a peacemaker of this compound."), field="peacemaker")
    parties = [p for p in parties if (p.get("name") or p.get("resident") or p.get("household"))]
    if len(parties) < 2:
        raise ApplicationError(_("Name at least two parties."), field="parties")
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
                        note=note or _("Mediation reached an agreement."))
    else:
        case_transition(actor=actor, case=case, action="refer", at=now, referred_to=referred_to,
                        note=note or _("Mediation failed; referred onward."))
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

    template = engines["django"].from_string(Path(__file__).with_name("agreement.html").read_text())
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
