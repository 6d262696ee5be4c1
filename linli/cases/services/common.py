"""What every cases service shares: who is told (inbox, texts) and how, the timeline event, scope helpers."""

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from linli.accounts.models import Role, RoleAssignment
from linli.cases import workflow
from linli.cases.models import (
    Case,
    CaseEvent,
    MeToo,
)
from linli.core import crypto
from linli.core.db import fill_in
from linli.core.i18n import in_each_language, pick_language
from linli.places.models import Place, PlaceKind

FEEDBACK_WAIT = dt.timedelta(days=3)
INTERNAL_ACTIONS = workflow.INTERNAL_ACTIONS  # kept here too: services re-export it
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


def _notify(case: Case, *, kind: str, title, body="", users: Iterable = (), reporter: bool = False,
            neighbours: bool = False, receivers: bool = False, public_body=None, reporter_body=None,
            reporter_title=None) -> None:
    """Tell ``users`` in their inbox; the reporter (inbox, or a text to their phone when they have no account);
    ``neighbours``: the residents who said "me too" (inbox); ``receivers``: whoever receives a new case there (the
    grid worker, else the branch secretary). Staff read ``body``; residents read ``public_body`` (default the same;
    ``""``: the title alone, the note being for staff only); the reporter reads ``reporter_body`` where there is one
    (asked to rate the result), else the public words, under ``reporter_title`` where there is one (a question for
    them), else the title.

    The words may be lazy (:func:`linli.core.i18n.lazy_format`): they are rendered here in every language of the
    site, and each reader reads their own — not the language of whoever made the change.

    Delivered by the task :func:`linli.cases.tasks.case_notify`, so that the change itself writes one row for it at
    most: on the database queue the task row is written in the change's transaction (it commits or rolls back with
    the change, and the worker delivers it); another queue gets it once the change has committed; the immediate
    backend (tests) delivers at once."""
    if _quiet.get():
        return
    user_ids = sorted({u.pk for u in users if u is not None})
    tell_reporter = bool(reporter and (case.reporter_user_id or case.reporter_phone_encrypted or case.reporter_id))
    neighbours = bool(neighbours and case.me_too_count)
    if not (user_ids or tell_reporter or receivers or neighbours):
        return  # nobody to tell: no task at all
    from linli.cases.tasks import case_notify

    texts = in_each_language(title=title, body=body)
    # words for residents where they differ from staff's — kept even when empty ("": the title alone)
    differ = {key: words for key, words in (("public_body", public_body if tell_reporter or neighbours else None),
                                            ("reporter_body", reporter_body if tell_reporter else None),
                                            ("reporter_title", reporter_title if tell_reporter else None))
              if words is not None}
    for language, rendered in in_each_language(**differ).items():
        texts[language].update({key: rendered.get(key, "") for key in differ})
    enqueue_with_change(case_notify, case_id=case.pk, kind=kind, texts=texts, user_ids=user_ids,
                        reporter=tell_reporter, neighbours=neighbours, receivers=receivers)


def enqueue_with_change(task, **kwargs) -> None:
    """Enqueue ``task`` as part of the current change (see :func:`_notify`); inside :func:`tasks_with_change`, kept
    for the service to write with its own rows."""
    pending = _pending_tasks.get()
    if pending is not None:
        pending.add(task, kwargs)
    else:
        _enqueue_now(task, kwargs)


def _enqueue_now(task, kwargs: dict) -> None:
    from django_tasks.backends.immediate import ImmediateBackend
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(task.get_backend(), DatabaseBackend | ImmediateBackend):
        task.enqueue(**kwargs)
    else:  # a queue outside the database must not see the task before the change is committed
        transaction.on_commit(lambda: task.enqueue(**kwargs))


class PendingTasks:
    """Tasks enqueued during a change whose rows go with the change's own (:func:`tasks_with_change`): on the
    database queue their rows (:attr:`batches`, for :func:`linli.core.db.insert_together`); on another queue the
    enqueue itself, made by :meth:`written` once the change's rows are."""

    def __init__(self):
        self.rows: list = []
        self.later: list[tuple] = []

    def add(self, task, kwargs: dict) -> None:
        from django_tasks_db.backend import DatabaseBackend

        if isinstance(task.get_backend(), DatabaseBackend):
            self.rows.append(task_row(task, kwargs))
        else:
            self.later.append((task, kwargs))

    @property
    def batches(self) -> list[tuple]:
        from django_tasks_db.models import DBTaskResult

        return [(DBTaskResult, self.rows)] if self.rows else []

    def written(self, filled: dict[str, str] | None = None) -> None:
        """The change's rows are written: tell the queue's listeners, and enqueue what goes elsewhere — with the
        placeholders the database filled in the rows (``filled``: placeholder → value) filled here too."""
        from django_tasks.signals import task_enqueued
        from django_tasks_db.backend import DatabaseBackend

        filled = filled or {}
        for row in self.rows:
            row.args_kwargs = fill_in(row.args_kwargs, filled)
            task_enqueued.send(DatabaseBackend, task_result=row.task_result)
        for task, kwargs in self.later:
            _enqueue_now(task, fill_in(kwargs, filled))


_pending_tasks: contextvars.ContextVar[PendingTasks | None] = contextvars.ContextVar("linli_pending_tasks",
                                                                                     default=None)


@contextlib.contextmanager
def tasks_with_change():
    """Within: :func:`enqueue_with_change` keeps the tasks in the yielded :class:`PendingTasks`, for the service to
    write their rows with its own in one round trip and then call :meth:`PendingTasks.written`."""
    pending = PendingTasks()
    token = _pending_tasks.set(pending)
    try:
        yield pending
    finally:
        _pending_tasks.reset(token)


_validated: set = set()


def task_row(task, kwargs: dict):
    """The row the database queue writes for ``task(**kwargs)`` (what its backend's ``enqueue`` saves), not yet
    written. A test holds it equal to the queue's own row and runs it through the worker."""
    from django_tasks.utils import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    backend = task.get_backend()
    if (task, backend.alias) not in _validated:  # what enqueue checks every time; a task does not change in a process
        backend.validate_task(task)
        _validated.add((task, backend.alias))
    return DBTaskResult(args_kwargs=normalize_json({"args": [], "kwargs": kwargs}), priority=task.priority,
                        task_path=task.module_path, queue_name=task.queue_name,
                        run_after=task.run_after or get_date_max(),  # the queue's pre_save signal does this
                        backend_name=backend.alias)


def deliver(case: Case, *, kind: str, texts: dict, users: Iterable, reporter: bool, neighbours: bool = False) -> None:
    """What :func:`linli.cases.tasks.case_notify` does: inbox rows for staff, the reporter (or a text to a reporter
    without an account) and, with ``neighbours``, the residents who said "me too" and still do. ``texts``: the words
    in each language (:func:`linli.core.i18n.in_each_language` of title, body and — where they differ — public_body
    and reporter_body, see :func:`_notify`)."""
    from linli.notify.services import notification_send, notification_send_many, outbound_send

    def words(key: str) -> dict:
        title = "reporter_title" if key == "reporter_body" else "title"  # the reporter's own title, where given
        return {lang: {"title": t.get(title) or t.get("title", ""), "body": _body(t, key)} for lang, t in texts.items()}

    recipients = [u for u in users if u is not None and u.pk != case.reporter_user_id]
    if recipients:
        notification_send_many(recipients=recipients, kind=kind, texts=words("body"), url=case_url(case),
                               place_path=case.path)
    for_reporter = words("reporter_body")
    if reporter and case.reporter_user_id:  # a resident account: the link is to their own page of the case
        notification_send(recipient=case.reporter_user, kind=kind, texts=for_reporter,
                          url=reverse("mycases:detail", args=[case.pk]), place_path=case.path)
    if reporter and not case.reporter_user_id:
        encrypted = case.reporter_phone_encrypted or (case.reporter.phone_encrypted if case.reporter_id else "")
        if encrypted:  # a text to a phone has one language: the site's own
            own = pick_language(for_reporter, settings.LANGUAGE_CODE)
            outbound_send(to=crypto.decrypt(encrypted), kind=kind,
                          body=f"{own.get('title', '')} {own.get('body', '')}".strip(), place_path=case.path)
    if neighbours:
        from linli.accounts.models import User

        told = {u.pk for u in recipients} | {case.reporter_user_id}
        joined = MeToo.objects.filter(case=case, withdrawn_at__isnull=True).values("user_id")
        others = [u for u in User.objects.filter(pk__in=joined, is_active=True) if u.pk not in told]
        if others:
            notification_send_many(recipients=others, kind=kind, texts=words("public_body"),
                                   url=reverse("mycases:detail", args=[case.pk]), place_path=case.path)


def _body(texts: dict, key: str) -> str:
    """The words ``key`` of one language's texts, falling back as :func:`_notify` says: reporter_body → public_body
    → body."""
    for candidate in {"reporter_body": ("reporter_body", "public_body", "body"),
                      "public_body": ("public_body", "body"), "body": ("body",)}[key]:
        if candidate in texts:
            return texts[candidate]
    return ""


def _event(case: Case, *, actor, action: str, at, from_state: str = "", to_state: str = "", note: str = "",
           data: dict | None = None, public: bool = True) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=actor if getattr(actor, "pk", None) else None, at=at,
                                    action=action, from_state=from_state, to_state=to_state, note=note or "",
                                    data=data or {}, public=public)

def _is_staff(user) -> bool:
    return bool(user is not None and workflow.role_paths(user))


def resident_of(user):
    """The register's resident behind a resident account (None for staff or an unlinked account)."""
    if user is None or not getattr(user, "is_resident", False):
        return None
    from linli.accounts.models import ResidentLink

    link = ResidentLink.objects.filter(user=user, ended_at__isnull=True).select_related("resident").first()
    return link.resident if link else None


def _refresh(case: Case, fresh: Case) -> None:
    """Bring the caller's instance up to date (setting each field also drops stale cached relations)."""
    if case is fresh:
        return
    for field in Case._meta.concrete_fields:
        setattr(case, field.attname, getattr(fresh, field.attname))


