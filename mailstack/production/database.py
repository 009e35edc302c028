"""The panel's database on the host: MariaDB's own server (Debian's unit), the least-privileged
accounts of deploy/mariadb/, and the migrations, which adopt an existing ISPmail database in
place after their read-only pre-flight (domains/adoption/)."""
import io

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

from domains.adoption.preflight import preflight
from mailstack import webmail
from mailstack.production.services import run
from mailstack.render import render


def is_local() -> bool:
    return settings.DATABASES["default"]["HOST"] in ("", "localhost", "127.0.0.1", "::1")


def _as_root(template: str) -> None:
    """Runs rendered SQL as MariaDB's root, who logs in over the unix socket as the system's root."""
    run(["mariadb", "--protocol=socket", "-uroot"], input=render(f"mariadb/{template}", "production"))


def prepare(log) -> None:
    if is_local():
        _as_root("accounts.sql")
        log("database: the database and the accounts of the panel, Postfix, Dovecot and Roundcube are in place")
    else:
        log(f"database: {settings.DATABASES['default']['HOST']} is not this host: its accounts are the "
            "operator's (render them with `manage.py mailstack render`)")
    connections.close_all()
    _preflight(log)
    call_command("migrate", interactive=False, verbosity=1)
    if is_local():
        _as_root("daemon-grants.sql")
        if settings.MAILSTACK["webmail"]:
            webmail.create_schema(["mariadb", "--protocol=socket", "-uroot"], run=run)
            log(f"database: Roundcube's database {settings.MAILSTACK['webmail_db']} has its tables")
        _dkim_keys(log)


def _dkim_keys(log) -> None:
    """A DKIM key for each domain without one: an adopted database's domains, or domains made
    before keys existed (docs/dkim.md)."""
    output = io.StringIO()
    call_command("dkim_keys", create_missing=True, stdout=output)
    made = output.getvalue().splitlines()
    if made:
        log(f"dkim: a signing key for {len(made)} domain(s) without one: {', '.join(made[:5])}"
            + (" ..." if len(made) > 5 else ""))


def _preflight(log) -> None:
    """On a database holding an ISPmail server's tables that the panel does not manage yet, the
    pre-flight's report comes first (what it found, and the SQL that fixes what blocks); it stops
    the install while anything blocks, else `migrate` adopts the tables in place."""
    report = preflight(connection)
    if report.adopted or report.empty:
        return
    output = io.StringIO()
    try:
        call_command("adopt_check", stdout=output, no_color=True)
    finally:
        for line in output.getvalue().splitlines():
            if line.strip():
                log(f"pre-flight: {line}")
