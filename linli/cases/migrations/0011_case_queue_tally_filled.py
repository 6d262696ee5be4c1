"""The tally of the open cases already there (the trigger of 0010 counts from then on)."""

from django.db import migrations

FILL = """
INSERT INTO cases_queuetally (area, state, level, assigned_role, assigned, n)
SELECT COALESCE(p.path, c.path), c.state, c.level, c.assigned_role, c.assignee_id IS NOT NULL, COUNT(*)
FROM cases_case c LEFT JOIN places_place p ON p.id = c.compound_id
WHERE c.state IN ('submitted', 'accepted', 'dispatched', 'in_progress', 'waiting_reporter', 'postpone_requested',
                  'returned', 'escalated', 'resolved', 'reopened')
GROUP BY 1, 2, 3, 4, 5
"""


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_case_queue_tally_trigger'),
    ]

    operations = [
        migrations.RunSQL(["DELETE FROM cases_queuetally", FILL], "DELETE FROM cases_queuetally"),
    ]
