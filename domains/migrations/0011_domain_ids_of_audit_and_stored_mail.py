from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    """Rows written since the domain of their name was created are that domain's; older ones were
    a deleted domain's of the same name and stay without an id (superadmins alone see them).  A
    purge belongs to the domain of the archive it removes."""
    same_name = f"ON CONVERT(x.domain_name USING utf8mb4) COLLATE {settings.ADDRESS_COLLATION} = d.name"
    with schema_editor.connection.cursor() as cursor:  # data, not DDL: in the migration's transaction
        cursor.execute(f"UPDATE mailadmin_audit x JOIN virtual_domains d {same_name}"
                       " SET x.domain_id = d.id WHERE x.at >= d.created")
        cursor.execute(f"UPDATE mailadmin_mailstore_job x JOIN virtual_domains d {same_name}"
                       " SET x.domain_id = d.id WHERE x.action <> 'purge' AND x.created >= d.created")
        cursor.execute("UPDATE mailadmin_mailstore_job p JOIN mailadmin_mailstore_job a"
                       " ON a.archive = p.archive AND a.action = 'archive'"
                       " SET p.domain_id = a.domain_id WHERE p.action = 'purge' AND p.archive <> ''")

class Migration(migrations.Migration):

    dependencies = [
        ('domains', '0010_suspended_by'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='domain_id',
            field=models.IntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.AddField(
            model_name='mailstorejob',
            name='domain_id',
            field=models.IntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
