"""Data: every (anchor, household) pair of the old many-to-many becomes an ``AnchorCoverage`` row from the anchor's
``since``; an ended anchor's rows end with it. Ended memberships and anchors get an end date (the day they were
created, the only date known) so that 0004 can require "active exactly when not ended". Reversible: backwards
copies the open rows back into the many-to-many."""

from django.db import migrations


def forwards(apps, schema_editor):
    AnchorHousehold = apps.get_model("org", "AnchorHousehold")
    AnchorCoverage = apps.get_model("org", "AnchorCoverage")
    PartyMembership = apps.get_model("org", "PartyMembership")
    Through = AnchorHousehold.looked_after.through
    for m in PartyMembership.objects.filter(is_active=False, ended_on__isnull=True):
        m.ended_on = m.created_at.date()
        m.save(update_fields=["ended_on"])
    for a in AnchorHousehold.objects.filter(is_active=False, ended_on__isnull=True):
        a.ended_on = a.created_at.date()
        a.save(update_fields=["ended_on"])
    anchors = {a.pk: a for a in AnchorHousehold.objects.all()}
    rows = []
    for pair in Through.objects.select_related("household").order_by("id").iterator():
        anchor = anchors[pair.anchorhousehold_id]
        since = anchor.since or anchor.created_at.date()
        rows.append(AnchorCoverage(anchor_id=anchor.pk, household_id=pair.household_id, since=since,
                                   ended_on=None if anchor.is_active else max(anchor.ended_on, since),
                                   path=pair.household.path))
    AnchorCoverage.objects.bulk_create(rows, batch_size=1000)


def backwards(apps, schema_editor):
    AnchorHousehold = apps.get_model("org", "AnchorHousehold")
    AnchorCoverage = apps.get_model("org", "AnchorCoverage")
    Through = AnchorHousehold.looked_after.through
    Through.objects.bulk_create(
        [Through(anchorhousehold_id=c.anchor_id, household_id=c.household_id)
         for c in AnchorCoverage.objects.filter(ended_on__isnull=True)], batch_size=1000)
    AnchorCoverage.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0002_membership_end_and_anchor_coverage'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
