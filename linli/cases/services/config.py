"""The supervisors' settings as every report reads them — routing rules, deadlines, the holiday schedule — kept in
memory per process, so that a report does not read three tables.

Correct across processes: every service that saves one of these calls :func:`settings_changed`, which writes a new
random token to the one :class:`~linli.cases.models.SettingsVersion` row in the same transaction. A report reads that
token (one short query) and uses the memory only when it is the token the memory was filled under; otherwise it
reads the tables again. The token is read *before* the tables, so that memory filled while a change commits is
filed under the older token and thrown away at the next read.
"""

import threading
import uuid
from dataclasses import dataclass, field

from linli.cases.models import DeadlinePolicy, RoutingRule, SettingsVersion
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


def snapshot(token: str | None = None) -> Snapshot:
    """The settings in memory, read again when the database's token differs (one query when it does not)."""
    global _snapshot
    if token is None:
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


def policy_path(policy: DeadlinePolicy) -> str:
    """The path a deadline policy holds at ("" for the default of everywhere, which every path starts with)."""
    return policy.path if policy.place_id else ""


def settings_changed() -> None:
    """Call inside the transaction that saved a routing rule, a deadline or a holiday-schedule day: every process
    reads the settings again at its next report (and this one at once)."""
    global _snapshot
    SettingsVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    _snapshot = None
