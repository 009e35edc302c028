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
    path = var_dir / "secrets.json"
    stored = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [name for name in NAMES if name not in stored]
    if len(stored.get("django_secret_key", "")) < 50:  # Django wants 50 or more (check --deploy, W009)
        missing.append("django_secret_key")
    if missing:
        stored.update({name: secrets.token_urlsafe(48) for name in missing})
        var_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(stored, indent=2))
        temporary.chmod(0o600)
        temporary.replace(path)
    return {name: config.value(VARIABLES[name]) or stored[name] for name in NAMES}
