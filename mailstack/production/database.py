"""The panel's database on the host: MariaDB's own server (Debian's unit), the least-privileged
accounts of deploy/mariadb/, and the migrations, which adopt an existing ISPmail database in
place after their read-only pre-flight (domains/adoption/)."""
from django.conf import settings
from django.core.management import call_command
from django.db import connections

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
        log("database: the database and the accounts of the panel, Postfix and Dovecot are in place")
    else:
        log(f"database: {settings.DATABASES['default']['HOST']} is not this host: its accounts are the "
            "operator's (render them with `manage.py mailstack render`)")
    connections.close_all()
    call_command("migrate", interactive=False, verbosity=1)
    if is_local():
        _as_root("daemon-grants.sql")
