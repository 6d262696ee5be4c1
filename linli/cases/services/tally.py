"""The open cases' tally (:class:`~linli.cases.models.QueueTally`): folding its rows, and building it afresh.

The database writes the rows (a trigger, migration ``0010``); nothing here changes what the tally says, only how
many rows say it. The sweep folds it every minute, so a street officer's badges sum a few hundred rows (one per
compound and key) plus the minute's changes.
"""

from django.db import connection, connections, transaction

from linli.cases.models import OPEN_STATES, QueueTally

_KEY = "area, state, level, assigned_role, assigned"


def _sql() -> dict[str, str]:
    """The statements, with the tables' names (identifiers of the models; no value is ever written into them)."""
    from linli.cases.models import Case
    from linli.places.models import Place

    t, cases, places = QueueTally._meta.db_table, Case._meta.db_table, Place._meta.db_table
    states = ", ".join(["%s"] * len(OPEN_STATES))
    return {  # identifiers only, hence the noqa
        "fold": f"WITH gone AS (DELETE FROM {t} RETURNING {_KEY}, n) INSERT INTO {t} ({_KEY}, n) "  # noqa: S608
                f"SELECT {_KEY}, SUM(n) FROM gone GROUP BY {_KEY} HAVING SUM(n) <> 0",
        "sums": f"SELECT {_KEY}, SUM(n) FROM {t} GROUP BY {_KEY} HAVING SUM(n) <> 0",  # noqa: S608
        "clear": f"DELETE FROM {t}",  # noqa: S608
        "insert": f"INSERT INTO {t} ({_KEY}, n) VALUES (%s, %s, %s, %s, %s, %s)",  # noqa: S608
        "count": f"INSERT INTO {t} ({_KEY}, n) SELECT COALESCE(p.path, c.path), c.state, c.level, "  # noqa: S608
                 f"c.assigned_role, c.assignee_id IS NOT NULL, COUNT(*) "
                 f"FROM {cases} c LEFT JOIN {places} p ON p.id = c.compound_id "
                 f"WHERE c.state IN ({states}) GROUP BY 1, 2, 3, 4, 5",
    }


def tally_compact() -> int:
    """Fold the tally into one row per key (dropping keys that sum to nothing); the number of rows it now holds.

    On PostgreSQL one statement deletes the rows it sees and writes their sums, so a change committed meanwhile is
    neither lost nor counted twice; SQLite's writers take turns (``transaction_mode`` IMMEDIATE)."""
    sql = _sql()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(sql["fold"])
        else:
            cursor.execute(sql["sums"])
            sums = cursor.fetchall()
            cursor.execute(sql["clear"])
            cursor.executemany(sql["insert"], sums)
    return QueueTally.objects.count()


def tally_rebuild() -> int:
    """The tally counted again from the open cases (for repair, e.g. after a bulk load with the trigger disabled);
    the number of rows."""
    sql = _sql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql["clear"])
        cursor.execute(sql["count"], OPEN_STATES)
    return QueueTally.objects.count()


def tally_repair(using: str = "default") -> bool:
    """Rebuild the tally when a key of it sums below zero — which no sequence of changes to the cases can make, but
    emptying the tables in the wrong order can (see ``linli.cases.apps``); True when it was rebuilt. Reads the folded
    sums only (a few hundred rows once the sweep has folded them), so it is cheap to run after every migration."""
    from django.db.models import Sum

    if using != "default" or QueueTally._meta.db_table not in connections[using].introspection.table_names():
        return False  # the tally lives on the default database, and not before its migration
    negative = (QueueTally.objects.values("area", "state", "level", "assigned_role", "assigned")
                .annotate(total=Sum("n")).filter(total__lt=0).exists())
    if negative:
        tally_rebuild()
    return negative
