"""Schema: the old many-to-many of looked-after households goes (0003 copied it into ``AnchorCoverage``), and
memberships and anchor households are active exactly when they have no end date; someone is on a team once at a
time."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0003_copy_looked_after_to_coverage'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='anchorhousehold',
            name='looked_after',
        ),
        migrations.AddConstraint(
            model_name='anchorhousehold',
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(('ended_on__isnull', True), ('is_active', True)),
                                   models.Q(('ended_on__isnull', False), ('is_active', False)), _connector='OR'),
                name='anchor_active_iff_not_ended'),
        ),
        migrations.AddConstraint(
            model_name='partymembership',
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(('ended_on__isnull', True), ('is_active', True)),
                                   models.Q(('ended_on__isnull', False), ('is_active', False)), _connector='OR'),
                name='membership_active_iff_not_ended'),
        ),
        migrations.AddConstraint(
            model_name='stewardteammember',
            constraint=models.UniqueConstraint(condition=models.Q(('left_on__isnull', True), ('user__isnull', False)),
                                               fields=('team', 'user'), name='one_current_team_membership_per_user'),
        ),
        migrations.AddConstraint(
            model_name='stewardteammember',
            constraint=models.UniqueConstraint(
                condition=models.Q(('left_on__isnull', True), ('resident__isnull', False)),
                fields=('team', 'resident'), name='one_current_team_membership_per_resident'),
        ),
    ]
