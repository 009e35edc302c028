"""The values the daemons' configurations are rendered with, taken from the Django settings.

Two profiles share the templates in deploy/: "private" (the bundled stack, everything under
the var folder on high loopback ports) and "production" (the system's Postfix and Dovecot at
their standard paths and ports).
"""
import os
import pwd
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings

PRODUCTION_PORTS = {
    "smtp": 25, "submissions": 465, "submission": 587, "lmtp": 24, "imap": 143, "imaps": 993, "pop3": 110,
    "pop3s": 995, "managesieve": 4190, "spamd": 783, "auth": 12345, "dkim": 8891,
    "dkim_ed25519": 8892,  # the second DKIM signer (Ed25519), on 127.0.0.1 only
    "quota_status": 12346,  # Dovecot's quota-status policy service, on 127.0.0.1 only
    # SRS, on 127.0.0.1 only: postsrsd's tables (Debian's defaults) and Postfix's listener for
    # mail that leaves with a foreign envelope sender.
    "srs_forward": 10001, "srs_reverse": 10002, "srs_reinject": 10004,
    "dovecot_stats": 9900,  # loopback only: Dovecot's counters for /metrics
}
# The certificate and key every production daemon reads (Postfix, Dovecot, nginx): stable paths
# that the install and the certificate renewal hook fill, so no configuration changes on renewal.
PRODUCTION_TLS_DIR = Path("/etc/mailadmin/tls")
# Debian's spamass-milter (its init script) listens here when Postfix is installed.
PRODUCTION_MILTER_SOCKET = "/var/spool/postfix/spamass/spamass.sock"
# Roundcube's PHP runs as Debian's web user, who owns its temporary and log folders.
WEBMAIL_USER = "www-data"
ROUNDCUBE_PUBLIC_HTML = "/var/lib/roundcube/public_html"
WEBMAIL_FPM_SOCKET = "/run/php/mailadmin-webmail.sock"  # production: Debian's php-fpm, our pool


@dataclass(frozen=True)
class Paths:
    """Where the private stack keeps its files, all below the var folder."""

    var: Path

    @property
    def run(self):
        return self.var / "run"

    @property
    def log(self):
        return self.var / "log"

    @property
    def etc(self):
        return self.var / "etc"

    @property
    def mariadb_data(self):
        return self.var / "mariadb"

    @property
    def mariadb_socket(self):
        return self.run / "mariadb.sock"

    @property
    def postfix_config(self):
        return self.etc / "postfix"

    @property
    def dovecot_config(self):
        return self.etc / "dovecot"

    @property
    def opendkim_config(self):
        return self.etc / "opendkim"

    @property
    def spamassassin_config(self):
        return self.etc / "spamassassin"

    @property
    def tls(self):
        return self.var / "tls"


def paths() -> Paths:
    return Paths(Path(settings.MAILSTACK["var_dir"]))


def mail_ids() -> tuple[int, int]:
    user = pwd.getpwnam(settings.MAILSTACK["mail_user"])
    return user.pw_uid, user.pw_gid


def _database(stack: dict) -> dict:
    database = settings.DATABASES["default"]
    return {
        "host": "127.0.0.1" if database["HOST"] in ("", "localhost") else database["HOST"],
        "port": database["PORT"] or 3306,
        "name": database["NAME"],
        "collation": settings.ADDRESS_COLLATION,
        "client_host": "127.0.0.1",
        "panel_user": database["USER"],
        "panel_password": database["PASSWORD"],
        "postfix_user": stack["db_users"]["postfix"],
        "postfix_hosts": ["127.0.0.1"],  # where Postfix connects from ('localhost': over the unix socket)
        "postfix_password": settings.SECRETS["db_postfix"],
        "dovecot_user": stack["db_users"]["dovecot"],
        "dovecot_password": settings.SECRETS["db_dovecot"],
        "replicas": stack["db_replicas"],
        "replication_user": stack["db_users"]["replication"],
        "replication_password": settings.SECRETS["db_replication"],
        "dkim_name": f"{database['NAME']}_dkim",  # the DKIM private keys (domains/dkim.py)
        "dkim_user": stack["db_users"]["dkim"],
        "dkim_password": settings.SECRETS["db_dkim"],
        "webmail": stack["webmail"],
        "roundcube_name": stack["webmail_db"],
        "roundcube_user": stack["db_users"]["roundcube"],
        "roundcube_password": settings.SECRETS["db_roundcube"],
    }


def host_has_ipv6(addresses: Path = Path("/proc/net/if_inet6")) -> bool:
    """The kernel lists an IPv6 address (none when IPv6 is disabled, or not built in)."""
    try:
        return bool(addresses.read_text().strip())
    except OSError:
        return False


def listens_on_ipv6() -> bool:
    """Whether the production daemons listen on IPv6 too (MAILADMIN_IPV6, decided when rendered:
    a daemon told to listen on `::` does not start on a host without IPv6)."""
    choice = settings.MAILADMIN_IPV6
    return host_has_ipv6() if choice == "auto" else choice == "yes"


# Bayes data, one database for all domains (docs/inbound.md): spamass-milter scans a message once for
# all its recipients, so a per-domain database would have no single domain to score it with.
PRODUCTION_BAYES_PATH = "/var/lib/spamassassin/bayes"  # the home of debian-spamd, spamd's user


def spam_values(profile: str) -> dict:
    """SpamAssassin's network tests (on in production unless MAILADMIN_SPAM_NETWORK_TESTS says
    otherwise), the resolvers they ask, Bayes' database and postscreen's blocklists."""
    choice = settings.MAILADMIN_SPAM_NETWORK_TESTS
    return {
        "network_tests": choice == "yes" or (choice == "auto" and profile == "production"),
        "resolvers": settings.MAILADMIN_DNS_RESOLVERS,
        "resolver_port": settings.MAILADMIN_DNS_RESOLVER_PORT,
        "bayes_path": PRODUCTION_BAYES_PATH if profile == "production"
        else str(paths().var / "spamd-home" / "bayes"),
        "dnsbl_sites": " ".join(settings.MAILADMIN_POSTSCREEN_DNSBL_SITES.replace(",", " ").split()),
        "dnsbl_threshold": settings.MAILADMIN_POSTSCREEN_DNSBL_THRESHOLD,
    }


def _dkim_signers(ports: dict, rundir: Path) -> dict:
    """OpenDKIM's two signers (deploy/opendkim/): RSA, and the optional Ed25519 second signature."""

    def signer(port_name, algorithm, signing_table, pid_name):
        return {"milter": f"inet:127.0.0.1:{ports[port_name]}", "socket": f"inet:{ports[port_name]}@127.0.0.1",
                "pidfile": str(rundir / pid_name), "algorithm": algorithm, "signing_table": signing_table}

    return signer("dkim", "rsa-sha256", "dkim_signing", "opendkim.pid") | {
        "ed25519": signer("dkim_ed25519", "ed25519-sha256", "dkim_signing_ed25519", "opendkim-ed25519.pid")}


def context(profile: str = "private", root: Path = Path("/")) -> dict:
    """Everything the templates in deploy/ refer to, for one profile.  In production the
    configuration folders and the certificate are named below `root` ("/" on a real host; a
    temporary folder where the tests check the rendered files with the daemons' own tools)."""
    stack = settings.MAILSTACK
    uid, gid = mail_ids()
    common = {
        "profile": profile,
        "hostname": stack["hostname"],
        "hostname_pattern": re.escape(stack["hostname"]),  # in Postfix's regexp tables
        "relayhost": stack["relayhost"],
        "db": _database(stack),
        "mail_user": stack["mail_user"],
        "mail_uid": uid,
        "mail_gid": gid,
        "password_scheme": settings.MAILADMIN_PASSWORD_SCHEME,
        "spam_threshold_default": settings.MAILADMIN_SPAM_THRESHOLD_DEFAULT,
        "spam_test_rules": stack.get("spam_test_rules", False),
        "auth_cache": getattr(settings, "MAILADMIN_DOVECOT_AUTH_CACHE", False),
        "cpu_count": os.cpu_count() or 1,
        "returning_login_seconds": getattr(settings, "MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS", 3600),
        "slow_auth_failures": stack.get("slow_auth_failures", True),
        "spam": spam_values(profile),
    }
    if profile == "production":
        def at(path) -> str:
            return str(Path(root) / str(path).lstrip("/"))

        ipv6 = listens_on_ipv6()
        return common | {
            "webmail": webmail_context(profile, common["db"]),
            "listen_address": "all",
            "dovecot_listen": "*, ::" if ipv6 else "*",
            "inet_protocols": "all" if ipv6 else "ipv4",
            "ipv6": ipv6,
            "listen_prefix": "",
            "ports": PRODUCTION_PORTS | {"smtp": "smtp", "submission": "submission", "submissions": "submissions"},
            "milter": f"unix:{PRODUCTION_MILTER_SOCKET}",
            "dkim": _dkim_signers(PRODUCTION_PORTS, Path("/run/opendkim")),
            "vmail_dir": "/var/vmail",
            "tls": {"cert": at(PRODUCTION_TLS_DIR / "fullchain.pem"), "key": at(PRODUCTION_TLS_DIR / "privkey.pem")},
            "postfix": {"config_dir": at("/etc/postfix"), "queue_dir": "/var/spool/postfix",
                        "data_dir": "/var/lib/postfix", "log_file": "", "log_dir": ""},
            "dovecot": {"config_dir": at("/etc/dovecot"), "base_dir": "/run/dovecot", "state_dir": "/var/lib/dovecot",
                        "instance_name": "", "log_file": ""},
        }
    where = paths()
    return common | {
        "webmail": webmail_context(profile, common["db"]),
        # Postfix reaches the bundled MariaDB over its unix socket: cheaper than loopback TCP per lookup.
        "db": common["db"] | {"socket": str(where.mariadb_socket), "postfix_hosts": ["127.0.0.1", "localhost"]},
        "listen_address": "127.0.0.1",
        "dovecot_listen": "127.0.0.1",
        "inet_protocols": "ipv4",
        "listen_prefix": "127.0.0.1:",
        "ports": stack["ports"],
        "milter": f"inet:127.0.0.1:{stack['ports']['milter']}",
        "dkim": _dkim_signers(stack["ports"], where.run / "opendkim"),
        "vmail_dir": str(stack["vmail_dir"]),
        "tls": {"cert": str(where.tls / "cert.pem"), "key": str(where.tls / "key.pem"),
                "dovecot_client_cert": str(where.tls / "dovecot-client-cert.pem"),
                "dovecot_client_key": str(where.tls / "dovecot-client-key.pem")},
        "postfix": {
            "config_dir": str(where.postfix_config),
            "queue_dir": str(where.var / "postfix" / "queue"),
            "data_dir": str(where.var / "postfix" / "data"),
            "log_file": str(where.log / "postfix.log"),
            "log_dir": str(where.log),
        },
        "dovecot": {
            "config_dir": str(where.dovecot_config),
            "base_dir": str(where.run / "dovecot"),
            "state_dir": str(where.var / "dovecot-state"),
            "instance_name": f"mailadmin-{stack['ports']['imap']}",
            "log_file": str(where.log / "dovecot.log"),
        },
    }


def php_string(text) -> str:
    """A PHP single-quoted string literal of `text`."""
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def webmail_context(profile: str, db: dict) -> dict:
    """Roundcube's values (deploy/roundcube/, deploy/nginx/webmail.conf): the private stack's
    daemons on their loopback ports with STARTTLS, production's on the standard ports; both
    reach the daemons over loopback, where the certificate (self-signed, or for the public host
    name) is not checked."""
    stack = settings.MAILSTACK
    ports = stack["ports"]
    if profile == "production":
        hosts = {"imap": f"ssl://127.0.0.1:{PRODUCTION_PORTS['imaps']}",
                 "smtp": f"ssl://127.0.0.1:{PRODUCTION_PORTS['submissions']}",
                 "managesieve": f"tls://127.0.0.1:{PRODUCTION_PORTS['managesieve']}"}
        # Through nginx on this host, as HTTPS (the panel redirects plain HTTP); nginx names the host.
        password_url = "https://127.0.0.1/roundcube/password/"
        folders = {"temp": "/var/lib/roundcube/temp", "log": "/var/log/roundcube"}
        panel_url = "/me/"
        fpm_socket = WEBMAIL_FPM_SOCKET
    else:
        hosts = {"imap": f"tls://127.0.0.1:{ports['imap']}", "smtp": f"tls://127.0.0.1:{ports['submission']}",
                 "managesieve": f"tls://127.0.0.1:{ports['managesieve']}"}
        password_url = f"http://127.0.0.1:{stack['panel_port']}/roundcube/password/"
        where = paths()
        folders = {"temp": str(where.var / "webmail" / "temp"), "log": str(where.log / "roundcube")}
        panel_url = f"http://127.0.0.1:{stack['panel_port']}/me/"
        fpm_socket = str(where.run / "php-fpm" / "webmail.sock")
    dsn = (f"mysql://{quote(db['roundcube_user'], safe='')}:{quote(db['roundcube_password'], safe='')}"
           f"@{db['host']}:{db['port']}/{db['roundcube_name']}")
    private = {} if profile == "production" else {
        "config_dir": str(where.etc / "webmail"),
        "fpm_pid": str(where.run / "php-fpm" / "php-fpm.pid"),
        "fpm_log": str(where.log / "php-fpm.log"),
        "nginx_pid": str(where.run / "nginx.pid"),
        "nginx_error_log": str(where.log / "nginx-error.log"),
        "nginx_access_log": str(where.log / "nginx-access.log"),
        "nginx_temp": str(where.var / "nginx"),
    }
    return private | {
        "enabled": stack["webmail"],
        "user": WEBMAIL_USER,
        "idle_minutes": stack["webmail_idle_minutes"],
        "fpm_socket": fpm_socket,
        "temp_dir": folders["temp"],
        "log_dir": folders["log"],
        "public_html": ROUNDCUBE_PUBLIC_HTML,
        "php": {name: php_string(value) for name, value in {
            "db_dsnw": dsn,
            "des_key": settings.SECRETS["webmail_des_key"],
            "secret": settings.SECRETS["roundcube_secret"],
            "imap_host": hosts["imap"],
            "smtp_host": hosts["smtp"],
            "managesieve_host": hosts["managesieve"],
            "password_url": password_url,
            "panel_url": panel_url,
            "temp_dir": folders["temp"],
            "log_dir": folders["log"],
            "product_name": f"Webmail of {stack['hostname']}",
        }.items()},
        "password_min_length": settings.MAILADMIN_PASSWORD_MIN_LENGTH,
    }
