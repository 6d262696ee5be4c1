"""The database keeps ``QueueTally``: a +1 row for the key an open case enters, a -1 row for the one it leaves.

A trigger rather than the services because every write of a case must count — the intake's single round trip,
transitions, the demo's and the bench's bulk writes — and a count that one path forgot would be wrong for good. The
states are frozen here as the open states of this migration (``models.OPEN_STATES``); a test compares the tally with
counting the cases themselves.
"""

from django.db import migrations

OPEN = ("'submitted', 'accepted', 'dispatched', 'in_progress', 'waiting_reporter', 'postpone_requested', "
        "'returned', 'escalated', 'resolved', 'reopened'")


def _row(rec: str, n: int, where: str) -> str:
    """An INSERT of a tally row for the case record ``rec`` (NEW/OLD) when ``where`` holds."""
    return (f"INSERT INTO cases_queuetally (area, state, level, assigned_role, assigned, n) "
            f"SELECT COALESCE((SELECT path FROM places_place WHERE id = {rec}.compound_id), {rec}.path), "
            f"{rec}.state, {rec}.level, {rec}.assigned_role, {rec}.assignee_id IS NOT NULL, {n} WHERE {where}")


KEY_CHANGED = ("OLD.state IS DISTINCT FROM NEW.state OR OLD.level IS DISTINCT FROM NEW.level "
               "OR OLD.assigned_role IS DISTINCT FROM NEW.assigned_role "
               "OR (OLD.assignee_id IS NULL) <> (NEW.assignee_id IS NULL) "
               "OR OLD.compound_id IS DISTINCT FROM NEW.compound_id")

POSTGRES = [f"""
CREATE FUNCTION cases_case_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    {_row("OLD", -1, f"OLD.state IN ({OPEN})")};
  END IF;
  IF TG_OP <> 'DELETE' THEN
    {_row("NEW", 1, f"NEW.state IN ({OPEN})")};
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER cases_case_tally_insert AFTER INSERT ON cases_case FOR EACH ROW "
    f"WHEN (NEW.state IN ({OPEN})) EXECUTE FUNCTION cases_case_tally()",
    "CREATE TRIGGER cases_case_tally_delete AFTER DELETE ON cases_case FOR EACH ROW "
    f"WHEN (OLD.state IN ({OPEN})) EXECUTE FUNCTION cases_case_tally()",
    "CREATE TRIGGER cases_case_tally_update AFTER UPDATE OF state, level, assigned_role, assignee_id, compound_id "
    f"ON cases_case FOR EACH ROW WHEN ({KEY_CHANGED}) EXECUTE FUNCTION cases_case_tally()",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS cases_case_tally_insert ON cases_case",
    "DROP TRIGGER IF EXISTS cases_case_tally_delete ON cases_case",
    "DROP TRIGGER IF EXISTS cases_case_tally_update ON cases_case",
    "DROP FUNCTION IF EXISTS cases_case_tally()",
]

SQLITE = [
    f"CREATE TRIGGER cases_case_tally_insert AFTER INSERT ON cases_case WHEN NEW.state IN ({OPEN}) BEGIN "
    f"{_row('NEW', 1, '1')}; END",
    f"CREATE TRIGGER cases_case_tally_delete AFTER DELETE ON cases_case WHEN OLD.state IN ({OPEN}) BEGIN "
    f"{_row('OLD', -1, '1')}; END",
    "CREATE TRIGGER cases_case_tally_update AFTER UPDATE OF state, level, assigned_role, assignee_id, compound_id "
    f"ON cases_case WHEN {KEY_CHANGED} BEGIN "
    f"{_row('OLD', -1, f'OLD.state IN ({OPEN})')}; {_row('NEW', 1, f'NEW.state IN ({OPEN})')}; END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS cases_case_tally_insert", "DROP TRIGGER IF EXISTS cases_case_tally_delete",
               "DROP TRIGGER IF EXISTS cases_case_tally_update"]


def _run(statements):
    def run(apps, schema_editor):
        by_vendor = statements.get(schema_editor.connection.vendor)
        if by_vendor is None:
            raise RuntimeError(f"Linli runs on PostgreSQL or SQLite, not {schema_editor.connection.vendor}")
        for sql in by_vendor:
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0009_case_queue_tally'),
    ]

    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRES, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP})),
    ]
