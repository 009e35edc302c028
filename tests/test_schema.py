"""The tables keep the ISPmail contract: the tutorial's plain SQL still works, and the database
itself enforces uniqueness and cascades."""
import pytest
from django.db import IntegrityError, connection, transaction

from domains.models import Alias, Domain, Mailbox

pytestmark = pytest.mark.django_db(transaction=True)

HASH = "{SHA256-CRYPT}$5$4sRgBsNTBhWT8Kh0$.GkrjSl6sJ3e8Sc0K9L/Iu5fO/fd.i5K0HiUMt2dxp9"


def sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


def tutorial_rows():
    """Rows written the way the ISPmail tutorial documents, with its columns only."""
    sql("INSERT INTO virtual_domains (name) VALUES ('example.org')")
    domain_id = sql("SELECT id FROM virtual_domains WHERE name='example.org'")[0][0]
    sql("INSERT INTO virtual_users (domain_id, password, email) VALUES (%s, %s, 'john@example.org')", domain_id, HASH)
    sql("INSERT INTO virtual_aliases (domain_id, source, destination)"
        " VALUES (%s, 'info@example.org', 'john@example.org')", domain_id)
    return domain_id


def test_rows_inserted_with_the_tutorials_sql_are_valid_to_the_panel():
    tutorial_rows()
    domain = Domain.objects.get(name="example.org")
    assert (domain.active, domain.max_mailboxes, domain.spam_threshold) == (True, 0, None)
    assert domain.created is not None
    mailbox = Mailbox.objects.get(email="john@example.org")
    assert (mailbox.domain, mailbox.quota, mailbox.active, mailbox.display_name) == (domain, 0, True, "")
    assert Alias.objects.get(source="info@example.org").destination == "john@example.org"


def test_deleting_a_domain_row_in_sql_removes_its_mailboxes_and_aliases():
    domain_id = tutorial_rows()
    sql("DELETE FROM virtual_domains WHERE id=%s", domain_id)
    assert sql("SELECT COUNT(*) FROM virtual_users")[0][0] == 0
    assert sql("SELECT COUNT(*) FROM virtual_aliases")[0][0] == 0


@pytest.mark.parametrize(("statement", "params"), [
    ("INSERT INTO virtual_domains (name) VALUES ('EXAMPLE.org')", ()),
    ("INSERT INTO virtual_users (domain_id, password, email) VALUES (%s, 'x', 'John@Example.org')", ("domain",)),
    ("INSERT INTO virtual_aliases (domain_id, source, destination) VALUES (%s, 'INFO@example.org', 'john@example.org')",
     ("domain",)),
])
def test_the_database_refuses_duplicates_that_differ_only_in_case(statement, params):
    domain_id = tutorial_rows()
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(statement, *[domain_id for _ in params])


def test_accented_addresses_stay_distinct_from_unaccented_ones():
    domain_id = tutorial_rows()
    sql("INSERT INTO virtual_aliases (domain_id, source, destination) VALUES (%s, 'josé@example.org', 'a@x.org')",
        domain_id)
    sql("INSERT INTO virtual_aliases (domain_id, source, destination) VALUES (%s, 'jose@example.org', 'b@x.org')",
        domain_id)
    assert sql("SELECT destination FROM virtual_aliases WHERE source='josé@example.org'") == (("a@x.org",),)


def test_quota_holds_more_than_two_gibibytes():
    tutorial_rows()
    Mailbox.objects.filter(email="john@example.org").update(quota=5 * 2**40)
    assert sql("SELECT quota FROM virtual_users WHERE email='john@example.org'")[0][0] == 5 * 2**40


def test_address_columns_use_the_documented_collation(settings):
    rows = sql("SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS"
               " WHERE TABLE_SCHEMA=DATABASE() AND COLUMN_NAME IN ('name', 'email', 'source', 'destination')"
               " AND TABLE_NAME LIKE 'virtual_%%'")
    assert len(rows) == 4
    assert {row[2] for row in rows} == {settings.ADDRESS_COLLATION}
