"""Renders the daemons' configurations from the templates in deploy/ (see mailstack/config.py)."""
import grp
import os
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine

from mailstack.config import context

TEMPLATES = {
    "postfix": [
        "main.cf",
        "master.cf",
        "header_checks",
        "mysql-virtual-mailbox-domains.cf",
        "mysql-virtual-mailbox-maps.cf",
        "mysql-virtual-alias-maps.cf",
        "mysql-email2email.cf",
        "mysql-recipient-access.cf",
        "mysql-sender-login-maps.cf",
        "mysql-sender-access.cf",
    ],
    "dovecot": ["dovecot.conf", "dovecot-sql.conf.ext", "dovecot-dict-sql.conf.ext", "spam-to-junk.sieve"],
    "spamassassin": ["local.cf"],
}
# Files holding a database password are readable only by root and the daemon's group.
SECRET_FILES = {
    "dovecot-sql.conf.ext": "dovecot",
    "dovecot-dict-sql.conf.ext": "dovecot",
    **{name: "postfix" for name in TEMPLATES["postfix"] if name.startswith("mysql-")},
}

_engine = Engine(dirs=[str(Path(settings.BASE_DIR) / "deploy")], autoescape=False)


def render(template_name: str, profile: str = "private", database: str | None = None) -> str:
    """The rendered template; `database` renders it for another database than the panel's."""
    values = context(profile)
    if database:
        values["db"] = values["db"] | {"name": database}
    return _engine.get_template(template_name).render(Context(values))


def write_all(target: Path, profile: str = "private") -> list[Path]:
    """Writes every rendered file to target/<daemon>/<file>; returns the paths written."""
    written = []
    for daemon, names in TEMPLATES.items():
        folder = target / daemon
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = folder / name
            temporary = path.with_name(f".{name}.tmp")
            temporary.write_text(render(f"{daemon}/{name}", profile))
            if name in SECRET_FILES:
                os.chown(temporary, 0, grp.getgrnam(SECRET_FILES[name]).gr_gid)
                temporary.chmod(0o640)
            else:
                temporary.chmod(0o644)
            temporary.replace(path)
            written.append(path)
    return written


def mariadb_sql(template_name: str) -> str:
    return render(f"mariadb/{template_name}")
