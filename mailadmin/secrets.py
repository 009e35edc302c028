"""Secrets that must not live in the repository, kept in one JSON file under the var folder.

Each value comes from its environment variable when set (production; declared in
mailadmin/config.py), otherwise from the file, where it is generated once at first start and
kept from then on.
"""
import json
import secrets
from pathlib import Path

from mailadmin import config

# The name in the file, and the setting (environment variable) that overrides it.
VARIABLES = {
    "django_secret_key": "DJANGO_SECRET_KEY",
    "db_panel": "DB_PANEL_PASSWORD",
    "db_postfix": "DB_POSTFIX_PASSWORD",
    "db_dovecot": "DB_DOVECOT_PASSWORD",
    "db_replication": "DB_REPLICATION_PASSWORD",
    "db_dkim": "DB_DKIM_PASSWORD",
}
NAMES = tuple(VARIABLES)


def load_or_create(var_dir: Path) -> dict:
    """Each secret from its environment variable, else from the file.  Where the environment
    gives Django's secret key (production: the install's /etc/mailadmin files), nothing is
    generated or written, and a secret neither gives is "": the panel is never given the
    daemons' passwords, and a command run by root with the panel's settings leaves no file
    behind that the panel could not read.  Otherwise (the bundled stack) a missing secret is
    generated into the file once."""
    given = {name: config.value(VARIABLES[name]) for name in NAMES}
    path = var_dir / "secrets.json"
    try:
        stored = json.loads(path.read_text())
    except FileNotFoundError:
        stored = {}
    except PermissionError:
        if not given["django_secret_key"]:
            raise
        stored = {}  # another user's file (root's): nothing of it is this process's
    if given["django_secret_key"]:
        return {name: given[name] or stored.get(name, "") for name in NAMES}
    missing = [name for name in NAMES if not given[name] and name not in stored]
    if len(stored.get("django_secret_key", "")) < 50:  # Django wants 50 or more (check --deploy, W009)
        missing.append("django_secret_key")
    if missing:
        stored.update({name: secrets.token_urlsafe(48) for name in missing})
        var_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(stored, indent=2))
        temporary.chmod(0o600)
        temporary.replace(path)
    return {name: given[name] or stored[name] for name in NAMES}
