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
}
NAMES = tuple(VARIABLES)


def load_or_create(var_dir: Path) -> dict:
    """Each secret from its environment variable, else from the file; one that neither gives is
    generated into the file.  A process that may not write the var folder (the production panel,
    whose environment file gives it its own secrets and never the daemons') gets "" for the rest."""
    given = {name: config.value(VARIABLES[name]) for name in NAMES}
    path = var_dir / "secrets.json"
    stored = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [name for name in NAMES if not given[name] and name not in stored]
    if not given["django_secret_key"] and len(stored.get("django_secret_key", "")) < 50:
        missing.append("django_secret_key")  # Django wants 50 or more (check --deploy, W009)
    if missing:
        generated = {name: secrets.token_urlsafe(48) for name in missing}
        try:
            var_dir.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(stored | generated, indent=2))
            temporary.chmod(0o600)
            temporary.replace(path)
            stored |= generated
        except OSError:  # not ours to write (PermissionError), or read-only to this service (EROFS)
            pass
    return {name: given[name] or stored.get(name, "") for name in NAMES}
