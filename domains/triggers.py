"""MariaDB triggers declared in Python as {name: (event, body)}, created and dropped by the
migrations that bring them: the per-domain totals (domains/totals.py), the mailboxes near their
quota (domains/near_quota.py) and the quota crossings the webhooks send (webhooks/quota.py)."""
from django.db import migrations

from domains.totals import trigger_blocker


def create(cursor, triggers: dict[str, tuple[str, str]]) -> None:
    for name, (event, body) in triggers.items():
        cursor.execute(f"CREATE OR REPLACE TRIGGER {name} {event} FOR EACH ROW {body}")


def drop(cursor, triggers: dict[str, tuple[str, str]]) -> None:
    for name in triggers:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def migration(triggers: dict[str, tuple[str, str]], recount=None):
    """The migration operation that creates `triggers` (refusing with the reason when the database
    account may not), then fills their table with `recount(cursor)`, if given; undone by dropping them.
    Triggers first, then the count: a row written in between is in the count, and every row after
    goes through the triggers."""
    def forwards(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            if blocker := trigger_blocker(cursor):
                raise RuntimeError(blocker)
            create(cursor, triggers)
            if recount is not None:
                recount(cursor)

    def backwards(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            drop(cursor, triggers)

    return migrations.RunPython(forwards, backwards)
