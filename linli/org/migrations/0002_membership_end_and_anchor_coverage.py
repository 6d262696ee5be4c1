"""Schema: memberships and anchor households get an end date, a reason and who ended them; the households an anchor
looks after become rows with their own dates (``AnchorCoverage``), so that the database can refuse a household
looked after by two anchors at once. The old many-to-many stays until 0003 has copied it (0004 removes it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0001_initial'),
        ('places', '0002_import_jobs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='partymembership',
            name='ended_on',
            field=models.DateField(blank=True, null=True, verbose_name='ended'),
        ),
        migrations.AddField(
            model_name='partymembership',
            name='end_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='reason'),
        ),
        migrations.AddField(
            model_name='partymembership',
            name='ended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='anchorhousehold',
            name='end_reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='reason'),
        ),
        migrations.AddField(
            model_name='anchorhousehold',
            name='ended_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='AnchorCoverage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('since', models.DateField(verbose_name='since')),
                ('ended_on', models.DateField(blank=True, null=True, verbose_name='ended')),
                ('path', models.CharField(max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('anchor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='coverages',
                                             to='org.anchorhousehold', verbose_name='anchor household')),
                ('household', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                related_name='anchor_coverages', to='places.household',
                                                verbose_name='household')),
                ('added_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                               related_name='+', to=settings.AUTH_USER_MODEL)),
                ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                               related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'household looked after',
                'verbose_name_plural': 'households looked after',
                'ordering': ['path', 'id'],
                'indexes': [models.Index(fields=['path'], name='coverage_path_idx', opclasses=['varchar_pattern_ops'])],
                'constraints': [models.UniqueConstraint(condition=models.Q(('ended_on__isnull', True)),
                                                        fields=('household',), name='one_open_coverage_per_household')],
            },
        ),
    ]
