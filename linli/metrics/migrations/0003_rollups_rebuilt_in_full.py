"""The rollups are derived data: after the change of their histogram columns, the next refresh rebuilds every month
(forgetting when the last refresh ran makes ``rollup_refresh`` a full one). The same holds when going back."""

from django.db import migrations


def forget_last_refresh(apps, schema_editor):
    apps.get_model("metrics", "RollupState").objects.update(refreshed_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("metrics", "0002_rollup_levels_with_bucket_columns"),
    ]

    operations = [
        migrations.RunPython(forget_last_refresh, forget_last_refresh),
    ]
