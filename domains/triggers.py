"""MariaDB triggers declared in Python as {name: (event, body)}, created and dropped by the
migrations that bring them: the per-domain totals (domains/totals.py), the mailboxes near their
quota (domains/near_quota.py) and the quota crossings the webhooks send (webhooks/quota.py)."""


def create(cursor, triggers: dict[str, tuple[str, str]]) -> None:
    for name, (event, body) in triggers.items():
        cursor.execute(f"CREATE OR REPLACE TRIGGER {name} {event} FOR EACH ROW {body}")


def drop(cursor, triggers: dict[str, tuple[str, str]]) -> None:
    for name in triggers:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
