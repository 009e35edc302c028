"""Databases of existing ISPmail servers, beside the stack's own, on the test MariaDB.

Each test database is made by MariaDB's root account with an edition's schema and rows; the
panel adopts it through its real commands (`manage.py adopt_check`, `manage.py migrate`) run
with MAILADMIN_DB_NAME pointing at it, as an administrator would."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from mailstack import stack
from mailstack.config import paths
from mailstack.render import mariadb_sql
from tests.adoption import editions

pytestmark = pytest.mark.stack
PREFIX = "ispmail_"
EDITION_USER, EDITION_PASSWORD = "mailuser", "tutorial-secret"


def root_sql(sql: str, database: str | None = None) -> list[list[str]]:
    """Runs SQL as MariaDB's root account; the result rows as lists of strings."""
    command = ["mariadb", f"--socket={paths().mariadb_socket}", "-uroot", "-N", "-B"]
    result = subprocess.run([*command, *([database] if database else [])], input=sql, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


def manage(database: str, *arguments) -> subprocess.CompletedProcess:
    """`manage.py ARGUMENTS` against another database of the test MariaDB, as a separate process."""
    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "mailadmin.test_settings", "MAILADMIN_DB_NAME": database}
    return subprocess.run([sys.executable, Path(settings.BASE_DIR) / "manage.py", *arguments], env=environment,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def test_mariadb():
    if not all(stack.status().values()):
        stack.up(log=lambda line: None)
    panel_user = settings.DATABASES["default"]["USER"]
    root_sql(f"GRANT ALL PRIVILEGES ON `{PREFIX}%`.* TO '{panel_user}'@'127.0.0.1';"
             f"CREATE USER IF NOT EXISTS '{EDITION_USER}'@'127.0.0.1' IDENTIFIED BY '{EDITION_PASSWORD}';")


@pytest.fixture
def edition_database(test_mariadb):
    """make(edition, name=None) -> the name of a new database holding that edition's tables and rows."""
    made = []

    def make(edition: str, name: str | None = None, rows: bool = True) -> str:
        database = f"{PREFIX}{name or edition}"
        root_sql(f"DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database} CHARACTER SET utf8;"
                 f"GRANT SELECT ON {database}.* TO '{EDITION_USER}'@'127.0.0.1';")
        root_sql(editions.schema(edition) + (editions.sample_rows(edition) if rows else ""), database)
        made.append(database)
        return database

    yield make
    for database in made:
        root_sql(f"DROP DATABASE IF EXISTS {database}")
    # A test that switched an edition's database to the bundled grants also pointed the DKIM
    # signer's views at it: the stack's own, for the tests that run after.
    root_sql(mariadb_sql("daemon-grants.sql"))


def table_rows(database: str, edition: str = "bookworm") -> dict[str, list[list[str]]]:
    """Every row of the three tables in the edition's own columns (the daemons' view of them)."""
    quota = ", quota" if editions.has_quota(edition) else ""
    return {
        "virtual_domains": root_sql("SELECT id, name FROM virtual_domains ORDER BY id", database),
        "virtual_users": root_sql(f"SELECT id, domain_id, email, password{quota} FROM virtual_users ORDER BY id",
                                  database),
        "virtual_aliases": root_sql("SELECT id, domain_id, source, destination FROM virtual_aliases ORDER BY id",
                                    database),
    }
