"""The panel adopts an existing ISPmail database of every edition in place: the pre-flight
finds what would stop it, `migrate` converts the tables without losing or changing a row, and
the edition's own Postfix and Dovecot queries work during and after, then the bundled ones."""
import json
import subprocess
import threading
import uuid

import MySQLdb
import pytest
from passlib.hash import sha512_crypt

from domains import passwords
from mailstack.config import paths
from mailstack.render import render
from tests.adoption import editions
from tests.adoption.conftest import EDITION_PASSWORD, EDITION_USER, manage, root_sql, table_rows
from tests.adoption.daemons import (
    DB_PORT,
    IspmailDovecot,
    bundled_postfix_maps,
    edition_postfix_maps,
    postmap,
)

pytestmark = pytest.mark.stack
TABLES = "('virtual_domains', 'virtual_users', 'virtual_aliases')"


def schema_of(database: str) -> dict:
    """What the panel and the daemons rely on: columns, unique keys, checks, cascading keys."""
    where = f"TABLE_SCHEMA='{database}' AND TABLE_NAME IN {TABLES}"
    return {
        "columns": root_sql("SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, COLLATION_NAME"
                            f" FROM information_schema.COLUMNS WHERE {where} ORDER BY TABLE_NAME, COLUMN_NAME"),
        "unique": root_sql("SELECT TABLE_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)"
                           f" FROM information_schema.STATISTICS WHERE {where} AND NON_UNIQUE=0"
                           " GROUP BY TABLE_NAME, INDEX_NAME ORDER BY 1, 2"),
        "checks": root_sql("SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS"
                           f" WHERE CONSTRAINT_SCHEMA='{database}' ORDER BY 1, 2"),
        "cascades": root_sql("SELECT TABLE_NAME, DELETE_RULE FROM information_schema.REFERENTIAL_CONSTRAINTS"
                             f" WHERE CONSTRAINT_SCHEMA='{database}' AND TABLE_NAME IN {TABLES} ORDER BY 1"),
        "tables": root_sql(f"SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES WHERE {where}"
                           " ORDER BY 1"),
    }


@pytest.fixture(scope="module")
def fresh_schema(test_mariadb):
    """The schema `migrate` creates in an empty database: what adoption must arrive at."""
    database = "ispmail_fresh"
    root_sql(f"DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database}")
    check = manage(database, "adopt_check")
    assert check.returncode == 0 and "no ISPmail tables" in check.stdout
    result = manage(database, "migrate")
    assert result.returncode == 0, result.stderr
    yield schema_of(database)
    root_sql(f"DROP DATABASE {database}")


def adopt(database: str):
    check = manage(database, "adopt_check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Ready" in check.stdout
    migrated = manage(database, "migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr


@pytest.mark.parametrize("edition", editions.EDITIONS)
def test_every_edition_is_adopted_in_place_without_a_row_lost_or_changed(edition, edition_database, fresh_schema):
    database = edition_database(edition)
    before = table_rows(database, edition)
    adopt(database)
    assert table_rows(database, edition) == before
    assert schema_of(database) == fresh_schema
    # Added columns took their defaults: every mailbox and domain active, no quota for older editions.
    assert root_sql("SELECT DISTINCT active FROM virtual_users", database) == [["1"]]
    assert root_sql("SELECT DISTINCT active FROM virtual_domains", database) == [["1"]]
    # The domain list's totals were counted from the adopted rows, and triggers keep them after.
    assert root_sql("SELECT t.mailboxes, t.aliases FROM mailadmin_domain_totals t JOIN virtual_domains d"
                    " ON d.id = t.domain_id WHERE d.name = 'example.org'", database) == [["2", "3"]]
    # The tutorial's plain-SQL administration keeps working, also its cascade.
    root_sql(f"INSERT INTO virtual_users (domain_id, password, email) VALUES (2, '{editions.HASHES[edition]}',"
             " 'new@example.net'); DELETE FROM virtual_domains WHERE name='example.net'", database)
    assert root_sql("SELECT COUNT(*) FROM virtual_users WHERE domain_id=2", database) == [["0"]]
    assert root_sql("SELECT COUNT(*) FROM virtual_aliases WHERE domain_id=2", database) == [["0"]]
    totals = manage(database, "domain_totals")
    assert totals.returncode == 0, totals.stdout + totals.stderr
    again = manage(database, "adopt_check")
    assert again.returncode == 0 and "manages these tables already" in again.stdout
    # The panel reads the adopted rows as its own.
    exported = json.loads(manage(database, "export", "--format", "json").stdout)
    assert [(box["address"], box["password_hash"]) for box in exported["mailboxes"]] == [
        ("jane@example.org", editions.HASHES[edition]), ("john@example.org", editions.HASHES[edition])]
    assert exported["aliases"] == [
        {"address": "info@example.org", "destinations": ["jane@example.org", "john@example.org"]},
        {"address": "postmaster@example.org", "destinations": ["john@example.org"]}]


def test_restoring_the_backup_taken_before_gives_the_editions_tables_back(edition_database):
    """The roll back of docs/adoption.md: the dump taken before `migrate`, loaded into the emptied database."""
    database = edition_database("buster")
    before = (table_rows(database, "buster"), root_sql("SHOW CREATE TABLE virtual_users", database))
    backup = subprocess.run(["mariadb-dump", f"--socket={paths().mariadb_socket}", "-uroot", "--single-transaction",
                             database], capture_output=True, text=True, check=True).stdout
    adopt(database)
    root_sql(f"DROP DATABASE {database}; CREATE DATABASE {database} CHARACTER SET utf8;")
    root_sql(backup, database)
    assert (table_rows(database, "buster"), root_sql("SHOW CREATE TABLE virtual_users", database)) == before


def test_duplicates_only_by_the_old_accent_blind_collation_are_adopted_as_two_addresses(edition_database):
    """utf8_general_ci made josé@ and jose@ one alias source; the panel's collation keeps them apart."""
    database = edition_database("bookworm")
    root_sql("INSERT INTO virtual_aliases (domain_id, source, destination) VALUES"
             " (1, 'josé@example.org', 'john@example.org'), (1, 'jose@example.org', 'jane@example.org')", database)
    adopt(database)
    assert root_sql("SELECT destination FROM virtual_aliases WHERE source='josé@example.org'", database) == [
        ["john@example.org"]]


# What the Wheezy and Jessie editions' ENCRYPT() examples stored: no {SCHEME} prefix.
BARE_SHA512 = sha512_crypt.using(rounds=5000).hash(editions.PASSWORD)


def dirty(database: str):
    """What years of hand-written SQL leave behind."""
    root_sql(f"""
        INSERT INTO virtual_domains (id, name) VALUES (3, 'Example.org');
        INSERT INTO virtual_users (domain_id, password, email) VALUES
          (3, '{editions.HASHES["stretch"]}', 'dup@example.org'),
          (1, '{BARE_SHA512}', 'carl@example.net'),
          (2, '{{PLAIN}}secret', 'plain@example.net'),
          (2, '{editions.HASHES["stretch"]}', 'minus@example.net'),
          (1, '{editions.HASHES["stretch"]}', 'Mixed+Case@example.org');
        UPDATE virtual_users SET quota=-1 WHERE email='minus@example.net';
        INSERT INTO virtual_aliases (domain_id, source, destination) VALUES
          (1, 'INFO@example.org', 'john@example.org'), (1, 'webmaster@example.net', 'john@example.org');
        SET foreign_key_checks=0;
        INSERT INTO virtual_aliases (domain_id, source, destination) VALUES (99, 'lost@gone.example', 'x@y.example');
    """, database)


def test_preflight_lists_every_problem_with_fixes_and_migrate_changes_nothing_until_fixed(edition_database):
    database = edition_database("buster", name="dirty")
    dirty(database)
    before = table_rows(database, "buster")
    check = manage(database, "adopt_check")
    assert check.returncode == 1
    report = check.stdout
    for expected in ("duplicate domain names", "rows 1,3",
                     "info@example.org -> john@example.org: rows 1,6",
                     "row 5: carl@example.net is in domain example.org",
                     "UPDATE virtual_users SET domain_id=2 WHERE id=5;",
                     "row 7: webmaster@example.net is in domain example.org",
                     "whose domain_id has no domain", "lost@gone.example",
                     "without a {SCHEME} prefix", "CONCAT('{SHA512-CRYPT}', password) WHERE id IN (5)",
                     "schemes the panel cannot read", "plain@example.net", "negative quotas", "minus@example.net",
                     "WARNING: virtual_users.email values outside the panel's address rules",
                     "row 8: 'Mixed+Case@example.org'"):
        assert expected in report, expected
    assert "adoption is blocked" in check.stderr

    migrated = manage(database, "migrate")
    assert migrated.returncode != 0
    assert "cannot be adopted yet" in migrated.stderr
    assert table_rows(database, "buster") == before
    assert root_sql("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='ispmail_dirty'"
                    " AND TABLE_NAME='virtual_users' AND COLUMN_NAME='active'") == [["0"]]

    # The SQL the report suggests, run as it is, clears every problem it can fix by itself.
    fixes = [line.strip() for line in report.splitlines()
             if line.strip().endswith(";") and not line.strip().startswith("--")]
    root_sql("\n".join(fixes) + "\nDELETE FROM virtual_users WHERE email='plain@example.net';", database)
    adopt(database)
    assert root_sql("SELECT email, domain_id FROM virtual_users WHERE email IN ('dup@example.org', 'carl@example.net')"
                    " ORDER BY email", database) == [["carl@example.net", "2"], ["dup@example.org", "1"]]
    prefixed = root_sql("SELECT password FROM virtual_users WHERE email='carl@example.net'", database)[0][0]
    assert prefixed == "{SHA512-CRYPT}" + BARE_SHA512
    assert passwords.verify_password(editions.PASSWORD, prefixed)


def test_the_daemons_queries_answer_while_the_tables_are_converted(edition_database):
    """Reads go on during the ALTERs (LOCK=NONE, or LOCK=SHARED where a column is rebuilt)."""
    database = edition_database("stretch", name="busy")
    root_sql(f"INSERT INTO virtual_users (domain_id, password, email) SELECT 1, '{editions.HASHES['stretch']}',"
             " CONCAT('user', seq, '@example.org') FROM seq_1_to_60000", database)
    answers, failures, done = [], [], threading.Event()

    def read_like_postfix():
        connection = MySQLdb.connect(host="127.0.0.1", port=DB_PORT, user=EDITION_USER, password=EDITION_PASSWORD,
                                     database=database, autocommit=True)
        cursor = connection.cursor()
        while not done.is_set():
            try:
                cursor.execute("SELECT 1 FROM virtual_users WHERE email='user4242@example.org'")
                answers.append(cursor.fetchall())
            except MySQLdb.Error as error:
                failures.append(error)
        connection.close()

    reader = threading.Thread(target=read_like_postfix)
    reader.start()
    try:
        adopt(database)
    finally:
        done.set()
        reader.join()
    assert not failures
    assert len(answers) > 10 and all(answer == ((1,),) for answer in answers)


@pytest.mark.parametrize("edition", editions.EDITIONS)
def test_delivery_and_login_through_the_editions_queries_then_the_bundled_ones(edition, edition_database, tmp_path):
    database = edition_database(edition)
    adopt(database)
    dovecot = IspmailDovecot(database, edition)
    try:
        # The edition's own configuration, unchanged, against the adopted tables.
        maps = edition_postfix_maps(tmp_path / "edition", database)
        assert postmap(maps["mysql-virtual-mailbox-domains.cf"], "example.org") == "1"
        assert postmap(maps["mysql-virtual-mailbox-maps.cf"], "john@example.org") == "1"
        assert set(postmap(maps["mysql-virtual-alias-maps.cf"], "info@example.org").split(",")) == {
            "john@example.org", "jane@example.org"}
        assert postmap(maps["mysql-virtual-alias-maps.cf"], "@example.net") == "bob@example.net"
        assert postmap(maps["mysql-email2email.cf"], "John@Example.org") == "john@example.org"
        assert postmap(maps["mysql-virtual-mailbox-maps.cf"], "nobody@example.org") is None
        dovecot.edition_queries()
        dovecot.start()
        before = f"edition {uuid.uuid4()}"
        dovecot.deliver("john@example.org", before)
        assert dovecot.subjects("john@example.org", editions.PASSWORD) == [before]
        with pytest.raises(Exception, match="AUTHENTICATIONFAILED|Authentication failed"):
            dovecot.subjects("john@example.org", "wrong password")

        # Switched to the panel's bundled queries (and its least-privileged accounts).
        root_sql(render("mariadb/daemon-grants.sql", database=database))
        maps = bundled_postfix_maps(tmp_path / "bundled", database)
        assert postmap(maps["mysql-virtual-mailbox-domains.cf"], "example.org") == "1"
        assert postmap(maps["mysql-virtual-mailbox-maps.cf"], "bob@example.net") == "1"
        assert set(postmap(maps["mysql-virtual-alias-maps.cf"], "info@example.org").split(",")) == {
            "john@example.org", "jane@example.org"}
        dovecot.stop()
        dovecot.bundled_queries()
        dovecot.start()
        after = f"bundled {uuid.uuid4()}"
        dovecot.deliver("john@example.org", after)
        assert dovecot.subjects("john@example.org", editions.PASSWORD) == [before, after]
        assert dovecot.subjects("bob@example.net", editions.PASSWORD) == []
    finally:
        dovecot.remove()
