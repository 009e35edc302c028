"""Every lookup the daemons run for a recipient, a login or a usage update reads an index, never
the whole table: MariaDB's EXPLAIN of the exact queries in the rendered deploy/ templates, against
tables with thousands of rows and ANALYZE'd statistics (so that a scan would be the optimizer's
choice if no index fitted), has a key for every table it reads.

The plan of an equality lookup through a unique key or an index prefix (`const`, `eq_ref`, `ref`)
is the same at a million rows as at five thousand; only its cost per row differs."""
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domains import passwords, selectors, services
from domains.audit import Actor
from domains.models import Domain
from domains.scope import Scope
from mailstack.render import TEMPLATES, render
from tests.conftest import PASSWORD

# Each test runs in a transaction that is rolled back: the rows seeded once for the module stay
# as they are for every test (EXPLAIN only reads; the tests that create rows roll them back).
pytestmark = pytest.mark.django_db

MAILBOXES, DOMAINS = 5000, 50
# The one query that lists every mailbox on purpose (`doveadm user '*'`, `doveadm -A`): it
# reads the whole table by design and runs only when an administrator asks for every user.
WHOLE_TABLE_BY_DESIGN = {"iterate_query"}
INDEXED_ACCESS = {"const", "eq_ref", "ref", "range", "system"}


def postfix_queries() -> dict[str, str]:
    queries = {}
    for name in TEMPLATES["postfix"]:
        if name.startswith("mysql-"):
            found = re.search(r"^query\s*=\s*(.+)$", render(f"postfix/{name}"), re.MULTILINE)
            queries[name] = found.group(1)
    return queries


def dovecot_queries() -> dict[str, str]:
    text = render("dovecot/dovecot-sql.conf.ext")
    queries = dict(re.findall(r"^(\w+_query)\s*=\s*(.+)$", text, re.MULTILINE))
    # The SQL dict (quota_clone) reads and writes one row per mailbox by its username field:
    # Dovecot builds `SELECT value_field FROM table WHERE username_field = ...` from each map.
    for table, user_field, value_field in re.findall(
            r"table\s*=\s*(\w+)\s+username_field\s*=\s*(\w+)\s+value_field\s*=\s*(\w+)",
            render("dovecot/dovecot-dict-sql.conf.ext")):
        queries[f"dict {table}.{value_field}"] = f"SELECT {value_field} FROM {table} WHERE {user_field} = '%u'"
    return queries


def with_key(name: str, query: str, key: str) -> str:
    """The query as the daemon sends it for `key`: Postfix's %s (the key), %u and %d (its local
    part and domain); Dovecot's %u (the user), %n and %d (its local part and domain)."""
    local_part, domain = key.split("@") if "@" in key else ("", key)
    user = local_part if name.startswith("mysql-") else key
    for variable, value in (("%s", key), ("%u", user), ("%d", domain), ("%n", local_part)):
        query = query.replace(variable, value)
    return query


def explain(query: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + query.replace("%", "%%"))
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def many_rows(django_db_setup, django_db_blocker):
    """Thousands of domains' rows as the benchmark seeds them, with fresh statistics: committed
    once for the module, and emptied after it as every other test leaves the database."""
    with django_db_blocker.unblock():
        call_command("seed_benchmark", mailboxes=MAILBOXES, domains=DOMAINS, aliases_per_domain=10, verbosity=0,
                     stdout=open("/dev/null", "w"))
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT email FROM virtual_users WHERE active=1 ORDER BY id LIMIT 1")
                active = cursor.fetchone()[0]
                cursor.execute("SELECT email FROM virtual_users WHERE active=0 ORDER BY id LIMIT 1")
                suspended = cursor.fetchone()[0]
                cursor.execute("SELECT source FROM virtual_aliases ORDER BY id LIMIT 1")
                alias = cursor.fetchone()[0]
            yield {"mailbox": active, "suspended": suspended, "alias": alias, "domain": active.split("@")[1]}
        finally:
            call_command("flush", interactive=False, verbosity=0)


def lookup_keys(name: str, keys: dict) -> list[str]:
    """Keys that match a row, so that EXPLAIN shows the tables it reads (a key matching no row
    through a unique index is answered by MariaDB before any table is planned)."""
    if "domains" in name:
        return [keys["domain"]]
    if "alias-maps" in name:
        return [keys["alias"], "@" + keys["domain"]]
    if "sender-login" in name:
        return [keys["mailbox"], keys["alias"]]
    return [keys["mailbox"], keys["suspended"]]


def test_the_daemons_queries_are_all_found():
    assert set(postfix_queries()) == {
        "mysql-virtual-mailbox-domains.cf", "mysql-virtual-mailbox-maps.cf", "mysql-virtual-alias-maps.cf",
        "mysql-email2email.cf", "mysql-recipient-access.cf", "mysql-sender-login-maps.cf", "mysql-sender-access.cf",
        "mysql-forwarded-sender-transport.cf"}
    assert set(dovecot_queries()) == {
        "password_query", "user_query", "iterate_query", "dict mailbox_usage.bytes", "dict mailbox_usage.messages"}


@pytest.mark.parametrize("name", [*postfix_queries(), *sorted(set(dovecot_queries()) - WHOLE_TABLE_BY_DESIGN)])
def test_every_daemon_lookup_reads_an_index_not_the_whole_table(many_rows, name):
    query = {**postfix_queries(), **dovecot_queries()}[name]
    tables = set(re.findall(r"(?:FROM|JOIN)\s+(\w+)", query))
    planned = set()
    for key in lookup_keys(name, many_rows):
        for row in explain(with_key(name, query, key)):
            if row["table"] is None:
                continue
            planned.add(row["table"])
            assert row["type"] in INDEXED_ACCESS and row["key"], f"{name} for {key}: full scan in {row}"
    assert planned == tables, f"{name}: EXPLAIN planned {planned}, the query reads {tables}"


def test_the_whole_table_query_is_only_the_listing_of_every_mailbox():
    """The exemption above stays one query, and a lookup query cannot hide behind it."""
    for name in WHOLE_TABLE_BY_DESIGN:
        assert "'%u'" not in dovecot_queries()[name]


def assert_reads_use_indexes(captured):
    reads = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("SELECT")]
    assert any("maildir" in sql for sql in reads)
    for sql in reads:
        for row in explain(sql):
            if row["table"] is not None:
                assert row["type"] in INDEXED_ACCESS and row["key"], f"full scan in {sql[:200]}: {row}"


def test_creating_a_mailbox_reads_no_whole_table(many_rows):
    """The panel, the API and imports create mailboxes through this service: each of its reads
    (limits, quotas, whether the new folder is still a renamed mailbox's) uses an index."""
    domain = Domain.objects.get(name=many_rows["domain"])
    with CaptureQueriesContext(connection) as captured:
        services.mailbox_create(actor=Actor.command("test"), domain=domain, local_part="new",
                                password_hash=passwords.hash_password(PASSWORD))
    assert_reads_use_indexes(captured)


def test_creating_a_thousand_mailboxes_at_once_reads_no_whole_table(many_rows):
    """The bulk path looks up many addresses and folders per query: MariaDB must still read them
    through the index (it reads the whole one for long IN lists on a column like maildir, '' in
    almost every row)."""
    domain = Domain.objects.get(name=many_rows["domain"])
    password_hash = passwords.hash_password(PASSWORD)
    mailboxes = [services.NewMailbox(address=f"bulk{number:04d}@{domain.name}", password_hash=password_hash)
                 for number in range(1000)]
    with CaptureQueriesContext(connection) as captured:
        created = services.mailboxes_create_many(actor=Actor.command("test"), domains={domain.name: domain},
                                                 mailboxes=mailboxes)
    assert len(created) == 1000
    assert_reads_use_indexes(captured)


@pytest.mark.parametrize("role", ["superadmin", "domain admin"])
def test_a_page_of_the_domain_list_reads_totals_not_mailboxes(many_rows, admin_user, django_user_model, role):
    """The domain list's figures come from one row of totals per domain (domains/totals.py): a
    page never reads the mailbox, alias or usage tables, so a domain of 100,000 mailboxes costs
    what one of ten does."""
    user = admin_user
    if role == "domain admin":
        user = django_user_model.objects.create_user(username="owner", password=PASSWORD)
        user.domains.set(Domain.objects.order_by("name")[:20])
    page = selectors.domain_list_for(Scope.of_user(user))[:25]
    assert len(page) == 25 if role == "superadmin" else len(page) == 20
    assert [(domain.mailbox_count, domain.alias_count) for domain in page] == [
        (domain.mailboxes.count(), domain.aliases.count()) for domain in page]
    plan = explain(str(page.query))
    read = {row["table"] for row in plan}
    assert read.isdisjoint({"virtual_users", "virtual_aliases", "mailbox_usage"}), plan
    # The totals by a join, the stored bytes by a subquery (Django names its table U0): by their keys.
    totals = [row for row in plan if row["table"] == "mailadmin_domain_totals" or row["select_type"] != "PRIMARY"]
    assert len(totals) == 2, plan
    assert all(row["type"] == "eq_ref" for row in totals), plan


def explain_queryset(queryset) -> list[dict]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize("role", ["superadmin", "domain admin"])
@pytest.mark.parametrize("prefix", ["", " User0 "])
def test_a_page_of_the_mailbox_list_reads_mailboxes_through_an_index(many_rows, admin_user, django_user_model,
                                                                     role, prefix):
    """The panel's mailbox list, as the selectors shape it for a page out of a million: the
    mailboxes alone (no join to virtual_domains), in address order straight from an index (no
    sort of every row), the caller's domains as a list of ids and the prefix as LIKE in the
    column's collation; the storage used by one lookup per row shown."""
    user = admin_user
    if role == "domain admin":
        user = django_user_model.objects.create_user(username="owner", password=PASSWORD)
        user.domains.set(Domain.objects.order_by("name")[:20])
    page = selectors.mailbox_list_for(Scope.of_user(user), prefix=prefix)[:51]
    assert list(page) and all(mailbox.email.startswith(prefix.strip().lower()) for mailbox in page)
    plan = explain_queryset(page)
    mailboxes = [row for row in plan if row["table"] == "virtual_users"]
    assert {row["table"] for row in plan} == {"virtual_users", "U0"}, plan
    assert len(mailboxes) == 1 and mailboxes[0]["key"], plan
    assert "filesort" not in (mailboxes[0]["Extra"] or ""), plan
    usage = [row for row in plan if row["table"] == "U0"]
    assert len(usage) == 1 and usage[0]["type"] in INDEXED_ACCESS, plan


def test_a_metrics_scrape_reads_the_domains_totals_never_the_mailboxes(many_rows):
    """/metrics gives each domain's mailboxes and storage from the triggers' totals: one row per
    domain, so a scrape costs the same at a million mailboxes as at five thousand."""
    from mailstack.metrics import ServerCollector

    with CaptureQueriesContext(connection) as captured:
        families = {family.name: family for family in ServerCollector._database({})}
    assert len(families["mailadmin_domain_mailboxes"].samples) == DOMAINS
    assert sum(sample.value for sample in families["mailadmin_domain_mailboxes"].samples) == MAILBOXES
    reads = [query["sql"] for query in captured.captured_queries]
    assert len(reads) == 2
    for sql in reads:
        plan = explain(sql)
        assert {row["table"] for row in plan}.isdisjoint({"virtual_users", "virtual_aliases", "mailbox_usage"}), plan
        # Only the domains themselves are read in full; the totals and the stored bytes by their keys.
        for row in plan:
            if row["table"] not in (None, "virtual_domains"):
                assert row["type"] in INDEXED_ACCESS and row["key"], f"full scan in {sql[:200]}: {row}"
