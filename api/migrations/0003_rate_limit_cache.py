"""The table of the "api" cache (settings.CACHES), where the rate limits are counted."""
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("api", "0002_idempotency")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
