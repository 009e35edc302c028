"""Quota crossings recorded by triggers on mailbox_usage (webhooks/quota.py), for the quota events."""
from django.db import migrations, models

from domains import triggers
from webhooks import quota


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0001_initial'),
        ('domains', '0012_dkim_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='QuotaCrossing',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mailbox', models.CharField(max_length=254)),
                ('domain_id', models.BigIntegerField(null=True)),
                ('percent', models.PositiveSmallIntegerField()),
                ('bytes_used', models.BigIntegerField()),
                ('quota', models.BigIntegerField()),
                ('at', models.DateTimeField()),
            ],
            options={
                'db_table': 'mailadmin_quota_crossing',
                'ordering': ['id'],
            },
        ),
        triggers.migration(quota.TRIGGERS),
    ]
