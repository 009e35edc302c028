"""Every file the production install owns, rendered from deploy/ for a root folder."""
from pathlib import Path

from django.conf import settings

from mailstack.config import PRODUCTION_TLS_DIR, WEBMAIL_USER, context
from mailstack.privileged import files_to_install
from mailstack.production.environment import ACME_WEBROOT, IMPORT_DIR, PANEL_USER, SETTINGS_FILE, VAR_DIR
from mailstack.production.files import File
from mailstack.production.services import OPENDKIM_DROP_IN
from mailstack.render import SECRET_FILES, TEMPLATES, render

PANEL_SOCKET = "/run/mailadmin.sock"
CERT_NAME = "mailadmin"
LINEAGE = f"/etc/letsencrypt/live/{CERT_NAME}"
TLS_CERT = str(PRODUCTION_TLS_DIR / "fullchain.pem")
TLS_KEY = str(PRODUCTION_TLS_DIR / "privkey.pem")
UNITS = ("mailadmin.socket", "mailadmin.service", "mailadmin-mailstore.service", "mailadmin-backup.service",
         "mailadmin-backup.timer", "opendkim-ed25519.service")
NGINX_SITE = "/etc/nginx/sites-available/mailadmin"
CERTBOT_HOOK = f"/etc/letsencrypt/renewal-hooks/deploy/{CERT_NAME}"
CERTBOT_DROP_IN = "/etc/systemd/system/certbot.service.d/mailadmin.conf"
MAIN_FILES = ("main.cf", "master.cf", "dovecot.conf")
POSTSRSD_DEFAULTS = "/etc/default/postsrsd"
SRS_SECRET = "/etc/postsrsd.secret"
SPAMD_DROP_IN = "/etc/systemd/system/spamd.service.d/mailadmin.conf"
# Debian's opendkim.service reads /etc/opendkim.conf; ours is /etc/opendkim/opendkim.conf (deploy/opendkim/).
OPENDKIM_SERVICE = b"""# Written by ./mailctl install: OpenDKIM signs with mailadmin's configuration (docs/dkim.md).
[Service]
ExecStart=
ExecStart=/usr/sbin/opendkim -x /etc/opendkim/opendkim.conf
"""
ROUNDCUBE_CONFIG = "/etc/roundcube/config.inc.php"
WEBMAIL_POOL = "/etc/php/8.2/fpm/pool.d/mailadmin-webmail.conf"


def production_context(root: Path) -> dict:
    """The production profile's values plus those of the web front, the units and the hook."""
    values = context("production", root)

    def at(path) -> str:
        return str(Path(root) / str(path).lstrip("/"))

    return values | {
        "checkout": str(Path(settings.BASE_DIR).resolve()),
        "panel_user": PANEL_USER,
        "panel_socket": PANEL_SOCKET,
        "settings_file": SETTINGS_FILE,
        "acme_webroot": at(ACME_WEBROOT),
        "tls_dir": at(PRODUCTION_TLS_DIR),
        "cert_name": CERT_NAME,
        "lineage": LINEAGE,
        "backup_status": f"{VAR_DIR}/backup-status.json",
        "import_dir": IMPORT_DIR,
    }


def _render(template: str, root: Path, values: dict) -> bytes:
    return render(template, "production", root=root, extra=values).encode()


def configuration_files(root: Path) -> list[File]:
    """The daemons' configurations, the nginx site, the systemd units and the renewal hook."""
    values = production_context(root)
    files = []
    for daemon, names in TEMPLATES.items():
        # The files a daemon's main configuration names come first: a Postfix process started
        # while they are written already finds every map its new main.cf refers to.
        for name in sorted(names, key=lambda name: name in MAIN_FILES):
            group = SECRET_FILES.get(name, "root")
            files.append(File(f"/etc/{daemon}/{name}", _render(f"{daemon}/{name}", root, values),
                              mode=0o640 if name in SECRET_FILES else 0o644, group=group))
    files += [
        File(NGINX_SITE, _render("nginx/mailadmin", root, values)),
        File("/etc/nginx/sites-enabled/mailadmin", link="../sites-available/mailadmin"),
        File("/etc/nginx/sites-enabled/default"),  # Debian's welcome page would take port 80's default
        *(File(f"/etc/systemd/system/{unit}", _render(f"systemd/{unit}", root, values)) for unit in UNITS),
        # The one program Dovecot's learning scripts may pipe to (sieve_pipe_bin_dir in dovecot.conf).
        File("/etc/dovecot/sieve-pipe/spamc", link="/usr/bin/spamc"),
        File(SPAMD_DROP_IN, _render("systemd/spamd-mailadmin.conf", root, values)),
        File(CERTBOT_HOOK, _render("certbot/mailadmin", root, values), mode=0o755),
        File(POSTSRSD_DEFAULTS, _render("postsrsd/postsrsd", root, values)),
        _certbot_drop_in(),
        File(OPENDKIM_DROP_IN, OPENDKIM_SERVICE),
        *webmail_files(root, values),
    ]
    return files + privileged_files(root)


def webmail_files(root: Path, values: dict) -> list[File]:
    """Roundcube's configuration (readable by its PHP, www-data) and its php-fpm pool; with the
    webmail off, the pool is removed (Roundcube's configuration, Debian's file, stays)."""
    if not settings.MAILSTACK["webmail"]:
        return [File(WEBMAIL_POOL)]
    return [
        File(ROUNDCUBE_CONFIG, _render("roundcube/config.inc.php", root, values), mode=0o640, group=WEBMAIL_USER),
        File(WEBMAIL_POOL, _render("roundcube/pool.conf", root, values)),
    ]


def _certbot_drop_in() -> File:
    """certbot's renewal timer trusts the ACME server's CA given to the install, if one was."""
    bundle = str(settings.MAILADMIN_ACME_CA_BUNDLE)
    if not bundle:
        return File(CERTBOT_DROP_IN)
    return File(CERTBOT_DROP_IN, f"# Rendered by ./mailctl install (MAILADMIN_ACME_CA_BUNDLE).\n[Service]\n"
                                 f"Environment=REQUESTS_CA_BUNDLE={bundle}\n".encode())


def certificate_files(chain: bytes, key: bytes) -> list[File]:
    return [File(TLS_CERT, chain, mode=0o644), File(TLS_KEY, key, mode=0o600)]


def privileged_files(root: Path) -> list[File]:
    """The root-owned helper through which the panel reaches Dovecot's tools and its sudo rule
    (/etc/sudoers.d/mailadmin), from mailstack/privileged.py."""
    dovecot_config = str(Path(root) / "etc/dovecot/dovecot.conf")
    return [File(installed.path, installed.content, mode=installed.mode, owner=installed.owner, group=installed.group)
            for installed in files_to_install(user=PANEL_USER, helper=settings.MAILADMIN_MAIL_SERVER_HELPER,
                                              dovecot_config=dovecot_config)]
