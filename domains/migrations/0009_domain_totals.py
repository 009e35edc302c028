"""Per-domain totals kept by triggers (domains/totals.py), filled from the rows at once."""
import django.db.models.deletion
from django.db import migrations, models

from domains import totals, triggers


class Migration(migrations.Migration):

    dependencies = [
        ('domains', '0008_selfservice_user_spam_bounds'),
    ]

    operations = [
        migrations.CreateModel(
            name='DomainStorage',
            fields=[
                ('domain', models.CharField(db_collation='utf8mb4_uca1400_as_ci', max_length=253, primary_key=True, serialize=False)),
                ('bytes', models.BigIntegerField(default=0)),
            ],
            options={
                'db_table': 'mailadmin_domain_storage',
            },
        ),
        migrations.CreateModel(
            name='DomainTotals',
            fields=[
                ('domain', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='totals', serialize=False, to='domains.domain')),
                ('mailboxes', models.BigIntegerField(default=0)),
                ('aliases', models.BigIntegerField(default=0, help_text='alias rows (one per source → destination)')),
                ('quota_allocated', models.BigIntegerField(default=0, help_text="bytes: the sum of the mailboxes' quotas")),
            ],
            options={
                'db_table': 'mailadmin_domain_totals',
            },
        ),
        # A domain's totals row goes with the domain, also when it is deleted in SQL.
        migrations.RunSQL(
            sql=f"ALTER TABLE {totals.TOTALS} ADD CONSTRAINT mailadmin_domain_totals_domain"
                " FOREIGN KEY (domain_id) REFERENCES virtual_domains (id) ON DELETE CASCADE",
            reverse_sql=f"ALTER TABLE {totals.TOTALS} DROP FOREIGN KEY mailadmin_domain_totals_domain",
        ),
        triggers.migration(totals.TRIGGERS, totals.recount),
    ]
