"""Quota crossings recorded by triggers on mailbox_usage (webhooks/quota.py), for the quota events."""
from django.db import migrations, models

from domains import totals, triggers
from webhooks import quota


def create_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if blocker := totals.trigger_blocker(cursor):
            raise RuntimeError(blocker)
        triggers.create(cursor, quota.TRIGGERS)


def drop_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        triggers.drop(cursor, quota.TRIGGERS)


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
        migrations.RunPython(create_triggers, drop_triggers),
    ]
