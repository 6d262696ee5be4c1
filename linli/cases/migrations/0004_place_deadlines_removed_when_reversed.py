"""Nothing to do forwards (the existing deadlines stay the default of everywhere). Backwards, the deadlines held at a
place must go before 0003 is undone: the older table allows one deadline per category and priority."""

from django.db import migrations


def forwards(apps, schema_editor):
    pass


def remove_place_deadlines(apps, schema_editor):
    apps.get_model("cases", "DeadlinePolicy").objects.filter(place__isnull=False).delete()


class Migration(migrations.Migration):

    dependencies = [("cases", "0003_deadline_policy_at_a_place")]

    operations = [migrations.RunPython(forwards, remove_place_deadlines)]
