"""The supervisors' settings as every report reads them — routing rules, deadlines, the holiday schedule, and the
active categories — kept in memory per process, so that a report does not read four tables.

Correct across processes: every service that saves one of these calls :func:`settings_changed`, which writes a new
random token to the one :class:`~linli.cases.models.SettingsVersion` row in the same transaction. A change of state
reads that token (one short query) and uses the memory only when it is the token the memory was filled under;
otherwise it reads the tables again. The token is read *before* the tables, so that memory filled while a change
commits is filed under the older token and thrown away at the next read.

A report does not even read the token first: it takes what memory holds (:func:`held`) and its write checks, in the
same round trip, that the token is still that one and the category still active (:func:`guard_sql`); when either
changed, the write is refused whole and the report is made again from fresh settings. Categories have no editing
page; code that changes one must call :func:`settings_changed` all the same.
"""

import threading
import uuid
from dataclasses import dataclass, field

from django.db import DataError

from linli.cases.models import Category, DeadlinePolicy, RoutingRule, SettingsVersion
from linli.core import workdays

#: Compounds whose routing rules a process keeps (each entry: a compound's rules and those above it).
MAX_ROUTED_COMPOUNDS = 4096

_lock = threading.Lock()


@dataclass
class Snapshot:
    """The settings as of ``token``. Rules are read per compound on first use; deadlines and the holiday schedule
    (a few hundred rows at most) at once, the calendar lazily by year."""

    token: str
    deadlines: dict[tuple[int, str], list[tuple[str, int, int]]]
    calendar: workdays.Calendar
    rules: dict[int, list[RoutingRule]] = field(default_factory=dict)
    categories: dict[str, Category] | None = None

    def category(self, code: str) -> Category | None:
        """The active category of this code (all of them are read on first use; a code not among them is looked
        up, so that a category added without a new token is found)."""
        categories = self.categories
        if categories is None:
            categories = self.categories = {c.code: c for c in Category.objects.filter(is_active=True)}
        found = categories.get(code)
        if found is None and code:
            found = Category.objects.filter(code=code, is_active=True).first()
            if found is not None:
                with _lock:
                    categories[code] = found
        return found

    def rules_for(self, compound_id: int, prefixes: list[str]) -> list[RoutingRule]:
        """The active rules that can apply to a case of compound ``compound_id`` whose path has ``prefixes``: on the
        compound and its buildings, and on the nodes above it (the same for every case of the compound)."""
        rules = self.rules.get(compound_id)
        if rules is None:
            from django.db.models import Q

            rules = list(RoutingRule.objects.filter(is_active=True).filter(
                Q(path__in=prefixes) | Q(place__compound_id=compound_id)))
            with _lock:
                if len(self.rules) >= MAX_ROUTED_COMPOUNDS:
                    self.rules.clear()
                self.rules[compound_id] = rules
        return rules


_snapshot: Snapshot | None = None


def current_token() -> str:
    """The token of the settings now in the database ("" before anything was ever saved)."""
    return next(iter(SettingsVersion.objects.filter(pk=1).values_list("token", flat=True)), "")


def snapshot() -> Snapshot:
    """The settings in memory, read again when the database's token differs (one query when it does not)."""
    global _snapshot
    token = current_token()
    snap = _snapshot
    if snap is not None and snap.token == token:
        return snap
    deadlines: dict[tuple[int, str], list[tuple[str, int, int]]] = {}
    for policy in DeadlinePolicy.objects.order_by("pk"):
        deadlines.setdefault((policy.category_id, policy.priority), []).append(
            (policy_path(policy), policy.response_hours, policy.resolution_workdays))
    for rows in deadlines.values():
        rows.sort(key=lambda row: len(row[0]), reverse=True)  # the most specific place first
    snap = Snapshot(token=token, deadlines=deadlines, calendar=workdays.Calendar())
    _snapshot = snap
    return snap


def held() -> Snapshot:
    """The settings this process holds, without asking whether they are still current (read when none are held) —
    for a write that checks that itself with :func:`guard_sql`."""
    return _snapshot or snapshot()


class StaleSettings(Exception):
    """The settings, or the category, changed since the snapshot a report was made from: make it again."""


def guard_sql(snap: Snapshot, category: Category) -> tuple[str, list]:
    """A ``SELECT`` to send first with a report's write: it divides by zero — refusing the whole write on
    PostgreSQL, where the statements go as one — unless the settings token is still ``snap``'s and ``category`` is
    still active; SQLite answers NULL instead. Send it through :func:`guarded`."""
    from django.db import connection

    qn = connection.ops.quote_name
    sql = (f"SELECT 1 / CASE WHEN COALESCE((SELECT {qn('token')} FROM {qn(SettingsVersion._meta.db_table)} "  # noqa: S608
           f"WHERE {qn('id')} = 1), '') = %s AND EXISTS (SELECT 1 FROM {qn(Category._meta.db_table)} "
           f"WHERE {qn('id')} = %s AND {qn('is_active')}) THEN 1 ELSE 0 END")
    return sql, [snap.token, category.pk]


def guarded(write):
    """Run ``write()`` — a write whose first statement is :func:`guard_sql` and which returns that statement's rows
    first (:func:`linli.core.db.insert_together` does) — and return what it returns; its refusal (PostgreSQL's
    ``division_by_zero``, SQLite's NULL) is raised as :class:`StaleSettings`."""
    try:
        results = write()
    except DataError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "22012":
            raise StaleSettings from exc
        raise
    if results[0] != [(1,)]:
        raise StaleSettings
    return results


def forget() -> None:
    """Drop the settings held: the next report reads them again."""
    global _snapshot
    _snapshot = None


def policy_path(policy: DeadlinePolicy) -> str:
    """The path a deadline policy holds at ("" for the default of everywhere, which every path starts with)."""
    return policy.path if policy.place_id else ""


def settings_changed() -> None:
    """Call inside the transaction that saved a routing rule, a deadline or a holiday-schedule day: every process
    reads the settings again at its next report (and this one at once)."""
    SettingsVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    forget()
