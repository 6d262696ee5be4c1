"""The closed loop (闭环): cases reported by residents or found by staff, routed, handled, fed back and closed.

A :class:`Case` hangs on a :class:`~linli.places.models.Place` (a unit, a building or the compound itself with a
public ``spot``) and copies its ``path`` for scope. Its lifecycle is data (:mod:`linli.cases.workflow`); every step is
a :class:`CaseEvent` row, and nothing is ever deleted. Deadlines come from :class:`DeadlinePolicy` (per category and
priority) and working days from :mod:`linli.core.workdays` (which reads :class:`WorkdayOverride` for years the
``chinese-calendar`` package does not know).
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import Role


class Level(models.TextChoices):
    """The levels that handle a case, bottom to top; escalation goes one step up this list."""

    BUILDING = "building", _("Building")
    COMPOUND = "compound", _("Compound")
    COMMUNITY = "community", _("Community")
    STREET = "street", _("Street")


LEVEL_ORDER = [lv.value for lv in Level]


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")  # water, power, gas, heating, lifts: Beijing's 24 h class
    EMERGENCY = "emergency", _("Emergency")  # danger to people: 2 h


class Spot(models.TextChoices):
    """Public spots of a compound, for cases that are not about a unit or a building."""

    GATE = "gate", _("Gate")
    GARAGE = "garage", _("Garage / car park")
    GARDEN = "garden", _("Garden / green space")
    LIFT = "lift", _("Lift")
    STAIRWELL = "stairwell", _("Stairwell / corridor")
    ROAD = "road", _("Road / path")
    SQUARE = "square", _("Square / playground")
    BIKE_SHED = "bike_shed", _("Bicycle shed / charging point")
    BINS = "bins", _("Rubbish point")
    FENCE = "fence", _("Fence / wall")
    OTHER = "other", _("Other spot")


class Channel(models.TextChoices):
    RESIDENT_APP = "resident_app", _("Resident (phone)")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    PATROL = "patrol", _("Patrol")
    OPEN311 = "open311", _("Open311")


#: Channels where staff found or entered the case: verification on the spot closes them, not the reporter.
STAFF_FOUND_CHANNELS = {Channel.PATROL}


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class Referral(models.TextChoices):
    """Where a case goes when the compound cannot settle it (a failed mediation, a matter for another body)."""

    PEOPLES_MEDIATION = "peoples_mediation", _("People's mediation committee")
    LEGAL_AID = "legal_aid", _("Legal aid")
    POLICE = "police", _("Police station")
    COURT = "court", _("Court")
    AUTHORITY = "authority", _("Competent authority")
    OTHER = "other", _("Other body")


class Category(models.Model):
    """What a case is about (漏水, 电梯, 邻里纠纷…). Disputes (``is_dispute``) go to mediation."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=64)
    is_dispute = models.BooleanField(_("dispute between households"), default=False)
    default_priority = models.CharField(
        _("default priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    icon = models.CharField(max_length=32, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the current language."""
        lang = translation.get_language() or "zh-hans"
        return self.name_en if lang.startswith("en") else self.name_zh


class DeadlinePolicy(models.Model):
    """How long a case of a category and priority may take: a response in hours, a resolution in working days.

    Held at a place node (a street, community or compound: ``place``, its ``path`` repeated) or, without a place,
    the default of everywhere. A case follows the most specific policy above its place, else the default, else
    Linli's built-in figures (``services.deadlines.DEFAULT_DEADLINES``).
    """

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="deadlines")
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices)
    place = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("place"))
    path = models.CharField(max_length=255, blank=True)  # the place's path; empty for the default of everywhere
    response_hours = models.PositiveIntegerField(_("response within (hours)"))
    resolution_workdays = models.PositiveIntegerField(_("resolution within (working days)"))
    remind_before_hours = models.PositiveIntegerField(_("remind before the deadline (hours)"), default=4)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["category_id", "priority", "path"]
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], condition=Q(place__isnull=True),
                                    name="deadline_default_unique"),
            models.UniqueConstraint(fields=["category", "priority", "place"], condition=Q(place__isnull=False),
                                    name="deadline_place_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.get_priority_display()} @ {self.path or '*'}"


class SettingsVersion(models.Model):
    """One row whose ``token`` changes whenever a routing rule, a deadline or a day of the holiday schedule is saved.

    Each process keeps those tables in memory (:mod:`linli.cases.services.config`) and reads only this token per
    case reported: a different token means another process (or this one) saved something, and the tables are read
    again. A random token rather than a counter, so that a change rolled back and another one made after it can
    never show the same value twice.
    """

    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class RoutingRule(models.Model):
    """Category × place → the level and role (and optionally the person) that handles it.

    The most specific rule wins: the one whose ``place`` has the longest path that is a prefix of the case's path.
    ``path`` repeats the place's path so that matching is one query.
    """

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="routing_rules")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    path = models.CharField(max_length=255)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("handler"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category_id", "path", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "place", "level"], condition=Q(is_active=True),
                name="routing_rule_unique_active",
            )
        ]
        indexes = [models.Index(fields=["path"], name="routing_rule_path_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.category} @ {self.place} → {self.get_level_display()} / {self.get_role_display()}"


class State(models.TextChoices):
    """The states of a case; the moves between them are :data:`linli.cases.workflow.TRANSITIONS`."""

    SUBMITTED = "submitted", _("Submitted")  # reported, waiting for the first receiver (信息收集)
    ACCEPTED = "accepted", _("Accepted")  # 立案: the first receiver owns it until it is dispatched
    REJECTED = "rejected", _("Rejected")  # not a case for us (with the reason) — final
    MERGED = "merged", _("Merged")  # a duplicate, merged into another case — final
    DISPATCHED = "dispatched", _("Dispatched")  # 派遣: sent to a handler, who has not yet taken it
    IN_PROGRESS = "in_progress", _("In progress")  # 处置: the handler is on it
    WAITING_REPORTER = "waiting_reporter", _("Waiting for the reporter")  # clocks paused
    POSTPONE_REQUESTED = "postpone_requested", _("More time requested")  # a supervisor decides (延期)
    RETURNED = "returned", _("Returned to the dispatcher")  # 回退: mis-dispatched, back to the dispatcher
    ESCALATED = "escalated", _("Escalated")  # sent one level up, waiting there
    RESOLVED = "resolved", _("Resolved")  # 处置反馈: the result is reported; feedback or verification pending
    REOPENED = "reopened", _("Reopened")  # 返工: not solved after all; to be dispatched again
    REFERRED = "referred", _("Referred elsewhere")  # beyond the compound (failed mediation…) — final
    CLOSED = "closed", _("Closed")  # 结案 — final


FINAL_STATES = {State.REJECTED, State.MERGED, State.REFERRED, State.CLOSED}
OPEN_STATES = [s.value for s in State if s not in FINAL_STATES]
#: Open states in which a case can be overdue (a resolved case waits for its rating, not for its handler).
OVERDUE_STATES = [s for s in OPEN_STATES if s != State.RESOLVED]


class CaseNumberSequence(models.Model):
    """The last number given per prefix and year, so that case numbers are LZ-2026-000123 without gaps or races."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="case_number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Case(models.Model):
    """One problem or dispute, from its report to its closure.

    ``owner`` is the first receiver (首接负责), ``assigned_role`` / ``assignee`` the handler at ``level``.
    ``version`` goes up by one at every transition: an action made on an old version is refused (two dispatchers
    at once → one wins). Deadlines are absolute times; ``paused_at`` / ``paused_total`` record the time spent
    waiting for the reporter, which the deadlines are pushed back by.
    """

    number = models.CharField(_("number"), max_length=32, unique=True)
    # No single-column index where a composite index of Meta.indexes starts with the column (category, state,
    # owner, assignee, dispatched_by): every index is written on each report and on each change of state.
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category"),
                                 db_index=False)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    compound = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    spot = models.CharField(_("spot"), max_length=16, choices=Spot.choices, blank=True)
    location_note = models.CharField(_("where exactly"), max_length=200, blank=True)
    path = models.CharField(max_length=255)
    # Who reported it: a resident of the register and/or a signed-in user; for phone calls and visits the staff
    # member types a name and a phone number (encrypted; only the masked form is shown).
    reporter = models.ForeignKey(
        "places.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("reporter"),
    )
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="reported_cases"
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=64, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True)
    reporter_phone_masked = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    anonymous = models.BooleanField(_("anonymous to other residents"), default=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.RESIDENT_APP)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=64, blank=True)

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.SUBMITTED)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, default=Level.COMPOUND)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_cases",
        verbose_name=_("first receiver"), db_index=False,
    )
    assigned_role = models.CharField(_("handling role"), max_length=32, choices=Role.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases",
        verbose_name=_("handler"), db_index=False,
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("dispatched by"), db_index=False,
    )
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_total = models.DurationField(default=dt.timedelta)
    # Marks of the background sweep, so that running it twice does nothing twice.
    response_reminded_at = models.DateTimeField(null=True, blank=True)
    resolution_reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_handled_at = models.DateTimeField(null=True, blank=True)
    feedback_requested_at = models.DateTimeField(null=True, blank=True)

    me_too_count = models.PositiveIntegerField(_("me too"), default=0)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)
    escalation_count = models.PositiveIntegerField(_("escalated"), default=0)
    postpone_count = models.PositiveIntegerField(_("postponed"), default=0)
    return_count = models.PositiveIntegerField(_("returned"), default=0)
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices, blank=True)  # the latest one
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    referred_to = models.CharField(_("referred to"), max_length=24, choices=Referral.choices, blank=True)
    referred_note = models.CharField(_("referral note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("reported"))  # indexed with the key and the path (Meta.indexes)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"], condition=~Q(idempotency_key=""),
                name="case_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["path"], name="case_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["state", "level"], name="case_state_level_idx"),
            models.Index(fields=["category", "state"], name="case_category_state_idx"),
            # The queues ask "cases routed to me / owned by me / dispatched by me, in these states": with the state
            # inside the index PostgreSQL does not scan every open case of the city (docs/bench.md, section 2).
            models.Index(fields=["assignee", "state"], name="case_assignee_state_idx"),
            models.Index(fields=["owner", "state"], name="case_owner_state_idx"),
            models.Index(fields=["dispatched_by", "state"], name="case_dispatched_state_idx"),
            # Lists in the order of reporting (the API's and the "all" tab): with the path in the index, a street's
            # latest 50 are told apart inside it (selectors.queue_rows); also any question by date.
            models.Index(fields=["created_at", "id", "path"], name="case_created_path_idx",
                         opclasses=["timestamptz_ops", "int8_ops", "varchar_pattern_ops"]),
            # The metrics refresh asks every minute which cases changed since the last one.
            models.Index(fields=["updated_at"], name="case_updated_at_idx"),
            # The work queues list open cases by their due date: walking the due dates of the open cases only (3 %
            # of a city's) finds a street's first 50 at once, where the due dates of all 10 M took 7 s.
            # With the path in it, a street's first 50 are told apart inside the index: only they are read
            # (selectors.queue_rows).
            models.Index(fields=["resolution_due_at", "id", "path"], condition=Q(state__in=OPEN_STATES),
                         name="case_open_due_path_idx", opclasses=["timestamptz_ops", "int8_ops",
                                                                   "varchar_pattern_ops"]),
            # ... and count them per area: the open cases of a street, not its whole history.
            models.Index(fields=["path"], condition=Q(state__in=OPEN_STATES), name="case_open_path_idx",
                         opclasses=["varchar_pattern_ops"]),
            # ... and count an area's overdue cases from the index alone (the due date is checked in it): the
            # other work queues' counts come from the tally (QueueTally), this one depends on the clock.
            models.Index(fields=["path", "resolution_due_at"], condition=Q(state__in=OVERDUE_STATES,
                                                                           paused_at__isnull=True),
                         name="case_running_path_due_idx", opclasses=["varchar_pattern_ops", "timestamptz_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_STATES

    @property
    def is_staff_found(self) -> bool:
        return self.channel in STAFF_FOUND_CHANNELS

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return bool(self.is_open and self.resolution_due_at and self.paused_at is None
                    and self.resolution_due_at < timezone.now() and self.state != State.RESOLVED)

    @property
    def is_response_overdue(self) -> bool:
        """Nobody has started on it and its response deadline has passed (the sweep reminds, not escalates: the
        resolution deadline is what escalates)."""
        from django.utils import timezone

        return bool(self.state in (State.SUBMITTED, State.ACCEPTED, State.DISPATCHED) and self.responded_at is None
                    and self.response_due_at and self.paused_at is None and self.response_due_at < timezone.now())

    @property
    def public_reporter(self) -> str:
        """How the reporter is shown to other residents: nothing when anonymous."""
        if self.anonymous:
            return str(_("Anonymous"))
        name = self.reporter.name if self.reporter_id else self.reporter_name
        return (name[:1] + "*" * (len(name) - 1)) if name else ""


class CaseEvent(models.Model):
    """One step on a case's timeline: who did what when, from which state to which, with a note. Append-only."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # empty: Linli itself (the background sweep) or a resident without an account
    at = models.DateTimeField(_("at"), db_index=True)
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=State.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    public = models.BooleanField(default=True)  # shown to the reporter

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_state}→{self.to_state}"


class QueueTally(models.Model):
    """How many open cases there are per compound and queue key — kept by the database, read by the work queues'
    badges of staff who work above a compound (a street officer sees thousands of open cases; counting them on
    every page grew with the city: docs/bench.md §2).

    Rows are *deltas*: a trigger on ``cases_case`` (migration ``0010_case_queue_tally_trigger``) adds a row of +1
    for the key a case enters and -1 for the key it leaves, whenever its state, level, handling role, whether it has
    a handler, or its compound change — so no transition waits on another's counter row. The sum of ``n`` over the
    rows of a key is the count; :func:`linli.cases.services.tally.tally_compact` folds the rows into one per key
    (the sweep runs it every minute). Only open cases are tallied. ``area`` is the path of the case's compound (the
    case's own path when it has none): every role that reads the tally is held at a compound or above, so "the case
    is in my area" is "``area`` starts with my path".
    """

    area = models.CharField(max_length=255)
    state = models.CharField(max_length=20)
    level = models.CharField(max_length=16)
    assigned_role = models.CharField(max_length=32, blank=True)
    assigned = models.BooleanField()  # has a handler (``assignee``)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["area"], name="case_tally_area_idx", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.area} {self.state}/{self.level}/{self.assigned_role}/{self.assigned}: {self.n:+d}"


def attachment_upload_to(instance, filename: str) -> str:
    """Photos get a random name (the re-encoded format's extension); the original name is not kept."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"cases/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{ext}"


class CaseAttachment(models.Model):
    """A photo of a report or of a result, re-encoded on upload so that EXIF (GPS, camera) is gone."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    image = models.ImageField(_("photo"), upload_to=attachment_upload_to, width_field="width",
                              height_field="height", max_length=255)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.image.name}"


class MeToo(models.Model):
    """Someone else has the same problem ("me too"): counted on the case instead of a duplicate report. Withdrawn
    (``withdrawn_at``) when their problem has gone: no longer counted, the row kept; saying it again counts it again."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="me_toos")
    resident = models.ForeignKey("places.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "resident"], condition=Q(resident__isnull=False),
                                    name="metoo_case_resident_unique"),
            models.UniqueConstraint(fields=["case", "user"], condition=Q(user__isnull=False),
                                    name="metoo_case_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} me too"


class FeedbackSource(models.TextChoices):
    REPORTER = "reporter", _("The reporter")
    PHONE_CALL = "phone_call", _("Follow-up call")
    VERIFICATION = "verification", _("On-the-spot verification")


class Feedback(models.Model):
    """The reporter's rating of a result (or what a follow-up call or a verification recorded)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="feedbacks")
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=FeedbackSource.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    round = models.PositiveSmallIntegerField(default=0)  # the case's reopen_count when it was given
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.get_rating_display()}"


class FollowUpCall(models.Model):
    """A call the grid worker owes a reporter who did not rate a result within 3 days."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_up_calls")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="follow_up_calls", verbose_name=_("caller"))
    round = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("called"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    reached = models.BooleanField(_("reached the reporter"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "round"], name="follow_up_call_one_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} call due {self.due_at:%Y-%m-%d}"


class MediationOutcome(models.TextChoices):
    PENDING = "pending", _("Under way")
    AGREED = "agreed", _("Agreement reached")
    FAILED = "failed", _("Failed")


class Mediation(models.Model):
    """The mediation of a dispute between households (调解) by a peacemaker."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="mediation")
    peacemaker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("peacemaker"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=MediationOutcome.choices,
                               default=MediationOutcome.PENDING)
    agreement_text = models.TextField(_("agreement"), blank=True)
    referred_to = models.CharField(_("referred to"), max_length=24, choices=Referral.choices, blank=True)
    follow_up_due = models.DateField(_("follow-up visit due"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    follow_up_note = models.TextField(_("follow-up note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    concluded_at = models.DateTimeField(_("concluded"), null=True, blank=True)

    class Meta:
        verbose_name = _("mediation")
        verbose_name_plural = _("mediations")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.get_outcome_display()}"


class MediationParty(models.Model):
    """A party to a dispute: a household, a resident, or a name typed in."""

    mediation = models.ForeignKey(Mediation, on_delete=models.PROTECT, related_name="parties")
    household = models.ForeignKey("places.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    resident = models.ForeignKey("places.Resident", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    name = models.CharField(_("name"), max_length=64)
    side = models.CharField(_("side"), max_length=32, blank=True)  # e.g. "楼上" / "楼下"

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MediationSession(models.Model):
    """A meeting of the parties with the peacemaker, and what was said."""

    mediation = models.ForeignKey(Mediation, on_delete=models.PROTECT, related_name="sessions")
    held_at = models.DateTimeField(_("held"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"))

    class Meta:
        ordering = ["held_at", "id"]

    def __str__(self) -> str:
        return f"{self.mediation_id} {self.held_at:%Y-%m-%d}"


class ResponseTemplate(models.Model):
    """A ready-made text for a step (FixMyStreet's response templates): pick it on the step's form, edit it, send it.

    Held for everywhere (no ``place``: a city administrator's) or at a street, community or compound (its
    supervisors'), for one category or all; a case's step offers those held at or above the case's place.
    Switched off rather than deleted (``is_active``)."""

    place = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("where"))
    path = models.CharField(max_length=255, blank=True, db_index=True)  # the place's path ("" everywhere): scope
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"))
    action = models.CharField(_("action"), max_length=32)
    title = models.CharField(_("title"), max_length=64)
    text = models.TextField(_("text"))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["action", "title"]

    def __str__(self) -> str:
        return self.title


class WorkdayOverride(models.Model):
    """A day of the official holiday schedule entered by staff (for a year the ``chinese-calendar`` package does
    not know yet, or to correct it): a holiday (``is_workday`` false) or a make-up working day (true).

    A year with at least one row here counts as known: its other days are Monday–Friday working days.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=64, blank=True)  # 春节, 调休上班…
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("holiday schedule day")
        verbose_name_plural = _("holiday schedule")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"
