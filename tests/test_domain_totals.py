"""The per-domain figures of the domain list (mailboxes, aliases, quota given, bytes stored) come
from totals that MariaDB's triggers keep.  They must be right whoever writes the rows: the panel,
the tutorial's plain SQL, or Dovecot recording what a delivery stored."""
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from domains import selectors, services, totals
from domains.models import Domain
from domains.services import NewMailbox
from tests import mail
from tests.api.conftest import BLF_HASH
from tests.conftest import PASSWORD
from tests.test_usage import usage_of

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 2**20


def figures(name: str) -> tuple[int, int, int, int]:
    domain = selectors.with_domain_figures(Domain.objects.filter(name=name)).get()
    return domain.mailbox_count, domain.alias_count, domain.quota_allocated, domain.quota_used


def drift() -> totals.Drift:
    with connection.cursor() as cursor:
        return totals.check(cursor)


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_figures_follow_the_panel_and_plain_sql(mail_domain):
    shop = mail_domain("shop.example")
    other = mail_domain("other.example")
    assert figures("shop.example") == (0, 0, 0, 0)

    shop.mailbox("anna", quota=10 * MIB)
    shop.mailbox("ben", quota=5 * MIB)
    shop.alias("sales", "anna@shop.example", "ben@shop.example")
    other.mailbox("carl", quota=MIB)
    assert figures("shop.example") == (2, 2, 15 * MIB, 0)
    assert figures("other.example") == (1, 0, MIB, 0)

    services.mailboxes_create_many(actor=shop.actor, domains={"shop.example": shop.domain}, mailboxes=[
        NewMailbox(address=f"bulk{number}@shop.example", password_hash=BLF_HASH, quota=MIB) for number in range(3)])
    ben = shop.domain.mailboxes.get(email="ben@shop.example")
    services.mailbox_update(actor=shop.actor, mailbox=ben, quota=7 * MIB)
    assert figures("shop.example") == (5, 2, 20 * MIB, 0)

    # The tutorial's way: rows written by hand in SQL count the same.
    sql("INSERT INTO virtual_users (domain_id, password, email, quota) VALUES (%s, %s, %s, %s)",
        (shop.domain.pk, BLF_HASH, "sql@shop.example", 2 * MIB))
    sql("INSERT INTO virtual_aliases (domain_id, source, destination) VALUES (%s, %s, %s)",
        (shop.domain.pk, "info@shop.example", "sql@shop.example"))
    sql("UPDATE virtual_users SET quota = %s WHERE email = %s", (4 * MIB, "anna@shop.example"))
    sql("DELETE FROM virtual_users WHERE email = %s", ("bulk0@shop.example",))
    sql("UPDATE virtual_users SET domain_id = %s WHERE email = %s", (other.domain.pk, "bulk1@shop.example"))
    assert figures("shop.example") == (4, 3, (4 + 7 + 1 + 2) * MIB, 0)
    assert figures("other.example") == (2, 0, 2 * MIB, 0)

    services.alias_set_destinations(actor=shop.actor, domain=shop.domain, source="sales@shop.example",
                                    destinations=["anna@shop.example"])
    services.mailbox_delete(actor=shop.actor, mailbox=ben)
    assert figures("shop.example") == (3, 2, 7 * MIB, 0)
    assert drift() == totals.Drift(domains=[], storage=[])


def test_deleting_a_domain_in_sql_takes_its_totals_along(mail_domain):
    gone = mail_domain("gone.example")
    gone.mailbox("anna", quota=MIB)
    sql("DELETE FROM virtual_domains WHERE name = %s", ("gone.example",))  # the tutorial's cascade
    sql("INSERT INTO virtual_domains (name) VALUES (%s)", ("gone.example",))
    assert figures("gone.example") == (0, 0, 0, 0)
    assert drift() == totals.Drift(domains=[], storage=[])


@pytest.mark.stack
def test_stored_bytes_follow_what_dovecot_records(mail_domain):
    example = mail_domain("stored.example")
    example.mailbox("anna", quota=10 * MIB)
    example.mailbox("ben")
    for to, body in (("anna@stored.example", "x" * 60_000), ("ben@stored.example", "y" * 20_000)):
        message = mail.message(to, body=body)
        mail.send(message)
        mail.wait_for(to, PASSWORD, message["Subject"])
    stored = usage_of("anna@stored.example", 1).bytes + usage_of("ben@stored.example", 1).bytes
    assert stored > 80_000
    assert figures("stored.example") == (2, 0, 10 * MIB, stored)

    services.mailbox_delete(actor=example.actor, mailbox=example.domain.mailboxes.get(email="ben@stored.example"))
    assert figures("stored.example")[3] == usage_of("anna@stored.example", 1).bytes


def test_a_truncate_is_found_and_recounted(mail_domain, capsys):
    example = mail_domain("drift.example")
    example.mailbox("anna", quota=MIB)
    sql("INSERT INTO mailbox_usage (username, bytes, messages) VALUES ('anna@drift.example', 5000, 2)")
    assert figures("drift.example") == (1, 0, MIB, 5000)

    sql("TRUNCATE TABLE mailbox_usage")  # triggers do not see a TRUNCATE
    sql("UPDATE mailadmin_domain_totals SET mailboxes = 7")  # nor a hand edit of the totals
    assert figures("drift.example") == (7, 0, MIB, 5000)
    with pytest.raises(CommandError, match="--recount"):
        call_command("domain_totals")
    assert "1 domain(s) with wrong mailbox, alias or quota totals: drift.example" in capsys.readouterr().out

    call_command("domain_totals", "--recount")
    assert figures("drift.example") == (1, 0, MIB, 0)
    call_command("domain_totals")
    assert "Every domain's totals match its rows." in capsys.readouterr().out


def near_quota() -> set[str]:
    from domains.near_quota import NEAR

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT username FROM {NEAR}")
        return {row[0] for row in cursor.fetchall()}


def test_the_list_of_mailboxes_near_their_quota_is_checked_and_recounted_too(mail_domain, capsys):
    example = mail_domain("near.example")
    example.mailbox("full", quota=10_000)
    example.mailbox("light", quota=MIB)
    sql("INSERT INTO mailbox_usage (username, bytes, messages) VALUES ('full@near.example', 9500, 3)")
    assert near_quota() == {"full@near.example"}

    sql("TRUNCATE TABLE mailbox_usage")  # the first page would still list "full"
    sql("INSERT INTO mailbox_usage (username, bytes, messages) VALUES ('light@near.example', %s, 9)",
        (MIB,))
    sql("DELETE FROM mailadmin_mailbox_near_quota WHERE username = 'light@near.example'")  # a hand edit
    with pytest.raises(CommandError, match="--recount"):
        call_command("domain_totals")
    assert "2 mailbox(es) wrongly listed near their quota or left out: full@near.example, light@near.example" \
        in capsys.readouterr().out

    call_command("domain_totals", "--recount")
    assert near_quota() == {"light@near.example"}
    call_command("domain_totals")
    assert "Every domain's totals match its rows." in capsys.readouterr().out


def test_concurrent_creates_in_one_domain_are_all_counted(mail_domain):
    busy = mail_domain("busy.example")
    errors = []

    def create(worker):
        try:
            for number in range(5):
                services.mailboxes_create_many(actor=busy.actor, domains={"busy.example": busy.domain}, mailboxes=[
                    NewMailbox(address=f"w{worker}n{number}m{item}@busy.example", password_hash=BLF_HASH, quota=MIB)
                    for item in range(10)])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=create, args=(worker,)) for worker in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert figures("busy.example") == (200, 0, 200 * MIB, 0)
