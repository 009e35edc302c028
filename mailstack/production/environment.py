"""The install's settings: MAILADMIN_* variables given to the first run are stored under
/etc/mailadmin, so that later runs (upgrades) need none; a variable given again replaces the
stored value.  Two files, so that the panel's process never learns the daemons' secrets:

  mailadmin.env  0640 root:mailadmin  everything the panel and the mail-store worker read
                                       (their units' EnvironmentFile)
  daemons.env    0600 root:root       the database passwords of Postfix, Dovecot, replicas and
                                       Roundcube, and Roundcube's des_key

This module runs before Django (python -m mailstack.production): the settings it prepares are
the ones Django then starts with.
"""
import secrets
import subprocess
from pathlib import Path

from mailadmin import config
from mailstack.production.files import File, differs, write

SETTINGS_FILE = "/etc/mailadmin/mailadmin.env"
DAEMON_SECRETS_FILE = "/etc/mailadmin/daemons.env"
PANEL_USER = "mailadmin"
VAR_DIR = "/var/lib/mailadmin"
ACME_WEBROOT = f"{VAR_DIR}/acme"
# Files uploaded in the panel for import, read (and removed) by the mail-store worker.
IMPORT_DIR = f"{VAR_DIR}/imports"

# Production values the install always sets.
FIXED = {
    "VAR_DIR": VAR_DIR,
    "VMAIL_DIR": "/var/vmail",
    "HTTPS": "1",
    "TRUSTED_PROXY_COUNT": "1",  # nginx
    "DOVECOT_CONFIG": "/etc/dovecot/dovecot.conf",
    "MAIL_SERVER": "sudo",  # the panel reaches Dovecot through the root-owned helper (mailstack/privileged.py)
    "DEBUG": "0",
}
DEFAULTS = {"DB_HOST": "127.0.0.1", "DB_PORT": "3306", "BACKUP_REPOSITORY": "/var/backups/mailadmin/borg"}
# Settings of the bundled stack and the suite only: never stored.
NOT_STORED = {"PORT_BASE", "SPAM_TEST_RULES", "BENCH_PORT_BASE"}
# Roundcube's shared secret is the panel's too (it checks it); its database password and des_key are not.
PANEL_SECRETS = ("DJANGO_SECRET_KEY", "DB_PANEL_PASSWORD", "ROUNDCUBE_SECRET")
DAEMON_SECRETS = ("DB_POSTFIX_PASSWORD", "DB_DOVECOT_PASSWORD", "DB_REPLICATION_PASSWORD", "DB_DKIM_PASSWORD",
                  "DB_ROUNDCUBE_PASSWORD", "WEBMAIL_DES_KEY")
TOKEN_BYTES = {"WEBMAIL_DES_KEY": 18}  # Roundcube's des_key: 24 characters


class SettingsError(Exception):
    """A setting the install needs is missing or not allowed; str() says which and why."""


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines (without the prefix in the keys), as this module writes them."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, equals, value = line.partition("=")
        if equals and name.startswith(config.PREFIX) and not line.startswith("#"):
            values[name.removeprefix(config.PREFIX)] = value
    return values


def _env_file(values: dict[str, str], names, heading: str) -> bytes:
    lines = [f"# {heading}",
             "# Written by ./mailctl install; a MAILADMIN_* variable given to it replaces a value here."]
    lines += [f"{config.PREFIX}{name}={values[name]}" for name in sorted(names) if values.get(name, "") != ""]
    return ("\n".join(lines) + "\n").encode()


def merged(stored: dict[str, str], environ) -> dict[str, str]:
    """Stored values, replaced by the ones given now; fixed values last; secrets generated once."""
    given = {name.removeprefix(config.PREFIX): value for name, value in environ.items()
             if name.startswith(config.PREFIX) and name.removeprefix(config.PREFIX) in config.DECLARED}
    values = DEFAULTS | stored | {name: value for name, value in given.items() if name not in NOT_STORED} | FIXED
    for name in (*PANEL_SECRETS, *DAEMON_SECRETS):
        if not values.get(name):
            values[name] = secrets.token_urlsafe(TOKEN_BYTES.get(name, 48))
    if "ALLOWED_HOSTS" not in given and stored.get("ALLOWED_HOSTS", stored.get("MAIL_HOSTNAME")) == stored.get(
            "MAIL_HOSTNAME"):
        values["ALLOWED_HOSTS"] = values.get("MAIL_HOSTNAME", "")  # follows the host name unless set apart
    return values


def problems(values: dict[str, str]) -> list[str]:
    found = [f"{problem.variable}: {'not allowed' if problem.setting.secret else repr(problem.raw)}; "
             f"allowed: {problem.setting.parse.allowed}"
             for problem in config.problems({config.PREFIX + name: value for name, value in values.items()})
             if problem.kind == "invalid"]
    if not values.get("MAIL_HOSTNAME"):
        found.append("MAILADMIN_MAIL_HOSTNAME: give the host name of this mail server (its MX, e.g. mx.example.net)")
    if values.get("TLS", "files") == "files":
        for name in ("TLS_CERT_FILE", "TLS_KEY_FILE"):
            if not values.get(name) or not Path(values[name]).is_file():
                found.append(f"MAILADMIN_{name}: with MAILADMIN_TLS=files, give the path of an existing file "
                             f"(now {values.get(name) or 'unset'}); or MAILADMIN_TLS=acme")
    return found


def checkout_problem(checkout: Path) -> str:
    """The panel (user mailadmin) and the worker (vmail) run the checkout's code: every folder up
    to it must let other users pass, and the checkout must be readable by them."""
    for folder in [*reversed(checkout.parents), checkout]:
        if not folder.stat().st_mode & 0o001:
            return (f"{folder} does not let other users pass (mode {folder.stat().st_mode & 0o777:o}): the panel's "
                    f"user could not run the code in {checkout}; use a checkout such as /opt/mailadmin")
    if not checkout.stat().st_mode & 0o004:
        return f"{checkout} is not readable by other users: the panel's user could not run its code"
    return ""


def ensure_panel_user() -> bool:
    """The panel's system user; True if it was made now."""
    if subprocess.run(["id", PANEL_USER], capture_output=True).returncode == 0:
        return False
    subprocess.run(["useradd", "--system", "--user-group", "--home-dir", VAR_DIR, "--no-create-home",
                    "--shell", "/usr/sbin/nologin", PANEL_USER], check=True)
    return True


def settings_files(values: dict[str, str], group: str = PANEL_USER) -> list[File]:
    panel_names = [name for name in values if name not in DAEMON_SECRETS]
    return [
        File(SETTINGS_FILE, _env_file(values, panel_names, "mailadmin's settings (the panel and the worker read them)"),
             mode=0o640, group=group),
        File(DAEMON_SECRETS_FILE, _env_file(values, DAEMON_SECRETS, "The daemons' database passwords: root only"),
             mode=0o600),
    ]


def prepare(root: Path, environ, *, group: str = PANEL_USER, log=print) -> dict[str, str]:
    """Reads, merges, checks and stores the settings (the panel's file readable by `group`);
    returns the environment the install runs with."""
    stored = read_env_file(Path(root) / SETTINGS_FILE.lstrip("/")) | read_env_file(
        Path(root) / DAEMON_SECRETS_FILE.lstrip("/"))
    values = merged(stored, environ)
    found = problems(values)
    if found:
        raise SettingsError("the install's settings are not complete:\n  " + "\n  ".join(found))
    folder = Path(root) / "etc/mailadmin"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    for entry in settings_files(values, group):
        if differs(root, entry):
            write(root, entry)
            log(f"wrote {entry.path}")
    kept = {name: value for name, value in environ.items() if not name.startswith(config.PREFIX)}
    return kept | {config.PREFIX + name: value for name, value in values.items()}
