"""The environment variables mailadmin reads, declared once: name, type, default, allowed values
and meaning.

settings.py reads every value through `value()`, which never fails: a value that is not allowed
gives the default, so that the settings module always loads, and the system check in
mailadmin/checks.py reports it, naming the variable and what it allows (`manage.py check`,
and every management command, `./mailctl run` and `./mailctl test` included, stop on it).
docs/settings.md holds the reference generated from these declarations (a test compares it):
    .venv/bin/python -m mailadmin.config
rewrites it.  This module imports nothing from Django: the settings module uses it.
"""
import copy
import ipaddress
import os
import re
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from mailadmin.languages import CODES as LANGUAGE_CODES

PREFIX = "MAILADMIN_"


@dataclass(frozen=True)
class Integer:
    minimum: int
    maximum: int
    kind = "integer"

    @property
    def allowed(self) -> str:
        return f"an integer from {self.minimum} to {self.maximum}"

    def __call__(self, raw: str) -> int:
        if not re.fullmatch(r"\s*-?\d+\s*", raw) or not self.minimum <= int(raw) <= self.maximum:
            raise ValueError(raw)
        return int(raw)


@dataclass(frozen=True)
class Tenths:
    """A decimal number with at most one decimal, as SpamAssassin prints scores."""

    minimum: Decimal
    maximum: Decimal
    kind = "decimal"

    @property
    def allowed(self) -> str:
        return f"a number from {self.minimum} to {self.maximum} with at most one decimal"

    def __call__(self, raw: str) -> Decimal:
        try:
            number = Decimal(raw.strip())
        except InvalidOperation:
            raise ValueError(raw) from None
        if not number.is_finite() or not self.minimum <= number <= self.maximum \
                or number != number.quantize(Decimal("0.1")):
            raise ValueError(raw)
        return number.quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Boolean:
    kind = "boolean"
    allowed = "1, true, yes or on; 0, false, no or off"

    def __call__(self, raw: str) -> bool:
        word = raw.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)


@dataclass(frozen=True)
class Choice:
    choices: tuple[str, ...]
    kind = "choice"

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)

    def __call__(self, raw: str) -> str:
        if raw not in self.choices:
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class Text:
    """Text matching a pattern (the whole value); `allowed` says the same in words."""

    pattern: str
    allowed: str
    kind: str = "text"

    def __call__(self, raw: str) -> str:
        if not re.fullmatch(self.pattern, raw):
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class Folder:
    """A path, written into the daemons' configurations: no white space, quotes or control characters."""

    absolute: bool = False
    empty_allowed: bool = False
    kind = "path"

    @property
    def allowed(self) -> str:
        words = "an absolute path" if self.absolute else "a path (relative ones start at the current folder)"
        words += " without white space, quotes or control characters"
        return ("empty, or " + words) if self.empty_allowed else words

    def __call__(self, raw: str):
        if raw == "" and self.empty_allowed:
            return ""
        if not re.fullmatch(r"[^\s'\"\\\x00-\x1f\x7f]+", raw) or (self.absolute and not raw.startswith("/")):
            raise ValueError(raw)
        return Path(raw)


HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS = r"(?:[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)"


@dataclass(frozen=True)
class HostList:
    """Host names or addresses separated by commas; `patterns` also takes Django's `.example.org` and `*`."""

    patterns: bool = False
    kind = "list"

    @property
    def allowed(self) -> str:
        if self.patterns:
            return "host names separated by commas (`.example.org` for a domain and its subdomains, `*` for any)"
        return "empty, or host names or IP addresses separated by commas"

    def __call__(self, raw: str) -> list[str]:
        hosts = [host.strip() for host in raw.split(",") if host.strip()]
        one = rf"\.?{HOST}|\*" if self.patterns else rf"{HOST}|{ADDRESS}"
        if any(not re.fullmatch(one, host) for host in hosts) or (self.patterns and not hosts):
            raise ValueError(raw)
        return hosts


@dataclass(frozen=True)
class AddressList:
    """IP addresses (v4 or v6) separated by commas."""

    kind = "list"
    allowed = "empty, or IP addresses separated by commas"

    def __call__(self, raw: str) -> list[str]:
        addresses = [address.strip() for address in raw.split(",") if address.strip()]
        try:
            return [str(ipaddress.ip_address(address)) for address in addresses]
        except ValueError:
            raise ValueError(raw) from None


@dataclass(frozen=True)
class Networks:
    """IP addresses or networks (CIDR) separated by commas."""

    kind = "list"
    allowed = "empty, or IP addresses or networks (`192.0.2.0/24`, `2001:db8::/32`) separated by commas"

    def __call__(self, raw: str) -> list[str]:
        networks = [network.strip() for network in raw.split(",") if network.strip()]
        try:
            return [str(ipaddress.ip_network(network, strict=False)) for network in networks]
        except ValueError:
            raise ValueError(raw) from None


@dataclass(frozen=True)
class Rate:
    """A request rate as Django REST framework reads it, e.g. "600/min"."""

    kind = "rate"
    allowed = "empty (no limit), or a number from 1 up, a slash and s, min, hour or day (e.g. 600/min)"

    def __call__(self, raw: str) -> str:
        if raw and not re.fullmatch(r"[1-9]\d{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)", raw):
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class Origins:
    """Web origins (scheme, host and port, as a browser sends `Origin`) separated by commas."""

    kind = "list"
    allowed = "empty, or origins such as `https://billing.example.org` or `http://127.0.0.1:8080` separated by commas"

    def __call__(self, raw: str) -> list[str]:
        origins = [origin.strip() for origin in raw.split(",") if origin.strip()]
        one = rf"https?://(?:{HOST}|\[[0-9A-Fa-f:.]+\]|[0-9.]+)(?::[0-9]{{1,5}})?"
        if any(not re.fullmatch(one, origin) for origin in origins):
            raise ValueError(raw)
        return [origin.lower() for origin in origins]


# Written into the daemons' configurations and SQL (Postfix's maps, Dovecot's connect string,
# CREATE USER ... IDENTIFIED BY '...'), so nothing that would need quoting there.
DB_PASSWORD = Text(r"[!#-&(-\[\]-~]{1,128}",
                   "1 to 128 printable ASCII characters without white space, quotes or backslash")


@dataclass(frozen=True)
class Setting:
    name: str  # without the prefix
    parse: object  # one of the types above: called with the text, raises ValueError; says `kind`, `allowed`
    default: object  # None: computed in settings.py from other values, as `default_text` says
    description: str
    section: str
    default_text: str = ""
    old_name: str = ""  # a name that is still read, with a warning, while this one is not set
    secret: bool = False  # never shown back in a message

    @property
    def variable(self) -> str:
        return PREFIX + self.name

    @property
    def old_variable(self) -> str:
        return PREFIX + self.old_name if self.old_name else ""

    @property
    def default_shown(self) -> str:
        if self.default_text:
            return self.default_text
        if self.default in ("", []):
            return "empty"
        if isinstance(self.default, bool):
            return "`1`" if self.default else "`0`"
        if isinstance(self.default, list):
            return f"`{','.join(self.default)}`"
        return f"`{self.default}`"


SECTIONS = {
    "stack": "The bundled mail stack",
    "database": "Database",
    "mail": "Mailboxes, passwords, spam",
    "panel": "The panel behind its web server",
    "api": "REST API",
    "metrics": "Metrics",
    "selfservice": "Self-service and Roundcube",
    "webmail": "Webmail (Roundcube) and mail client set-up",
    "production": "The production install (`./mailctl install`)",
    "backup": "Backups (`./mailctl backup`, see Backups)",
    "development": "Tests and benchmark",
}

SETTINGS = (
    Setting("VAR_DIR", Folder(), None, "where the bundled stack keeps its data, logs, secrets and mail",
            "stack", default_text="`var/` in the checkout"),
    Setting("PORT_BASE", Integer(0, 55509), 10000,
            "the bundled stack's ports are this plus the standard port (see Ports); the highest is base + 10026",
            "stack"),
    Setting("MAIL_HOSTNAME", Text(HOST, "a host name (letters, digits, hyphens and dots)", "host name"),
            "mail.localhost", "Postfix's `myhostname`", "stack"),
    Setting("PUBLIC_ADDRESSES", AddressList(), [],
            "the mail host's public addresses, shown as its A, AAAA and PTR records on the domain page; "
            "empty: the addresses DNS gives for `MAILADMIN_MAIL_HOSTNAME`", "mail"),
    Setting("DNS_RESOLVERS", AddressList(), [],
            "the resolvers the domain page's DNS check asks; empty: those of the host's /etc/resolv.conf", "mail"),
    Setting("DNS_RESOLVER_PORT", Integer(1, 65535), 53, "the port `MAILADMIN_DNS_RESOLVERS` answer on", "mail"),
    Setting("MAIL_USER", Text(r"[a-z_][a-z0-9_-]{0,31}", "a system user name (a-z, 0-9, _ and -, at most 32)",
                              "user name"),
            "vmail", "the system user that owns stored mail", "stack"),
    Setting("VMAIL_DIR", Folder(absolute=True), None, "the mail folders of the bundled stack", "stack",
            default_text="`vmail/` in `MAILADMIN_VAR_DIR`"),
    Setting("RELAYHOST", Text(rf"|\[(?:{HOST}|{ADDRESS})\](?::\d{{1,5}})?|{HOST}(?::\d{{1,5}})?",
                              "empty, or host, host:port, [host] or [host]:port", "host"),
            "", "where Postfix sends outbound mail (empty: directly, by MX)", "stack"),
    Setting("DB_REPLICAS", HostList(), [],
            "MariaDB replicas the daemons also read from, on the primary's port (see Database replicas)", "stack"),
    Setting("DB_NAME", Text(r"[A-Za-z0-9_]{1,64}", "1 to 64 letters, digits or _", "name"), "mailadmin",
            "the panel's MariaDB database (the ISPmail tables)", "database"),
    Setting("DB_HOST", Text(rf"{HOST}|{ADDRESS}", "a host name or an IP address", "host"), "127.0.0.1",
            "the MariaDB server", "database"),
    Setting("DB_PORT", Integer(1, 65535), None, "the MariaDB server's port", "database",
            default_text="`MAILADMIN_PORT_BASE` + 3306"),
    Setting("DB_USER", Text(r"[A-Za-z0-9_.-]{1,80}", "1 to 80 letters, digits, _, . or -", "name"),
            "mailadmin", "the panel's MariaDB account (all rights on its database)", "database"),
    Setting("DB_PANEL_PASSWORD", DB_PASSWORD, None, "the password of `MAILADMIN_DB_USER`", "database",
            default_text="generated into `var/secrets.json`", old_name="DB_PANEL", secret=True),
    Setting("DB_POSTFIX_PASSWORD", DB_PASSWORD, None, "the password of Postfix's account `mailpostfix`",
            "database", default_text="generated into `var/secrets.json`", old_name="DB_POSTFIX", secret=True),
    Setting("DB_DOVECOT_PASSWORD", DB_PASSWORD, None, "the password of Dovecot's account `maildovecot`",
            "database", default_text="generated into `var/secrets.json`", old_name="DB_DOVECOT", secret=True),
    Setting("DB_REPLICATION_PASSWORD", DB_PASSWORD, None, "the password of the replicas' account `mailreplica`",
            "database", default_text="generated into `var/secrets.json`", old_name="DB_REPLICATION", secret=True),
    Setting("DB_DKIM_PASSWORD", DB_PASSWORD, None, "the password of the DKIM signer's account `maildkim`",
            "database", default_text="generated into `var/secrets.json`", secret=True),
    Setting("PASSWORD_SCHEME", Choice(("ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT")), "ARGON2ID",
            "the Dovecot scheme of new mailbox password hashes", "mail"),
    Setting("PASSWORD_MIN_LENGTH", Integer(8, 1024), 10,
            "the shortest mailbox password accepted (the longest is 1024)", "mail"),
    Setting("SPAM_THRESHOLD_DEFAULT", Tenths(Decimal("0.0"), Decimal("999.9")), Decimal("5.0"),
            "the spam threshold when neither the mailbox nor its domain sets one", "mail"),
    # Inbound defence (docs/inbound.md): SpamAssassin's network tests, postscreen's DNS blocklists.
    Setting("SPAM_NETWORK_TESTS", Choice(("auto", "yes", "no")), "auto",
            "SpamAssassin's DNSBL/URIBL, SPF, DKIM and DMARC checks (`auto`: on in production, off in the "
            "bundled stack, which has no network)", "mail"),
    Setting("POSTSCREEN_DNSBL_SITES", Text(r"[A-Za-z0-9.=\[\];*-]+(?:[\s,]+[A-Za-z0-9.=\[\];*-]+)*",
                                           "DNS blocklists as Postfix's postscreen_dnsbl_sites takes them "
                                           "(`zone[=reply]*weight`, separated by spaces)", "lists"),
            "zen.spamhaus.org*3 bl.spamcop.net*2 psbl.surriel.com*2",
            "the blocklists postscreen asks on port 25 in production, each with its weight", "mail"),
    Setting("POSTSCREEN_DNSBL_THRESHOLD", Integer(1, 100), 3,
            "the total weight at which postscreen refuses a client on port 25 (550 at RCPT)", "mail"),
    Setting("MAILSTORE_RETENTION_DAYS", Integer(1, 3650), 30,
            "how many days the mail of a deleted mailbox is kept (and can be restored) before removal", "mail"),
    Setting("DJANGO_SECRET_KEY", Text(r"[!-~]{50,1024}", "50 to 1024 printable ASCII characters, no white space",
                                      "text"),
            None, "Django's `SECRET_KEY` (signs sessions and tokens)", "panel",
            default_text="generated into `var/secrets.json`", secret=True),
    Setting("LANGUAGE", Choice(LANGUAGE_CODES), "en",
            "the panel's language when neither the browser, the language menu nor the signed-in admin or owner "
            "chooses one (see Translations)", "panel"),
    Setting("DEBUG", Boolean(), False, "Django's debug pages; never in production", "panel"),
    Setting("ALLOWED_HOSTS", HostList(patterns=True), ["127.0.0.1", "localhost"],
            "the host names the panel answers to", "panel"),
    Setting("HTTPS", Boolean(), False,
            "production behind HTTPS: secure cookies, HTTPS redirect, one-year HSTS (see Sign-in)", "panel"),
    Setting("TRUSTED_PROXY_COUNT", Integer(0, 10), 0,
            "reverse proxies in front of the panel that append to `X-Forwarded-For` (see Sign-in)", "panel"),
    Setting("API_RATE", Rate(), "600/min", "requests per API key", "api"),
    Setting("API_AUTH_FAILURE_RATE", Rate(), "60/hour", "failed API key checks per client address", "api"),
    Setting("API_CORS_ORIGINS", Origins(), [],
            "web pages of these origins may call `/api/v1/` from a browser (CORS, e.g. a billing front end); "
            "empty: none", "api"),
    Setting("METRICS_ADDRESSES", Networks(), [],
            "client addresses that may read `/metrics` (see Metrics); empty: none, only the token", "metrics"),
    Setting("METRICS_TOKEN", Text(r"|[!-~]{32,1024}", "empty, or 32 to 1024 printable ASCII characters, "
                                  "no white space", "text"),
            "", "a bearer token that may read `/metrics` from any address (over HTTPS when `MAILADMIN_HTTPS` is on);"
            " empty: none", "metrics", secret=True),
    Setting("ROUNDCUBE_SECRET", Text(r"|[!-~]{32,1024}", "empty, or 32 to 1024 printable ASCII characters, "
                                     "no white space", "text"),
            None, "the shared secret of Roundcube's password plugin (the endpoint answers 404 while it is empty)",
            "selfservice", default_text="generated into `var/secrets.json`", secret=True),
    Setting("WEBMAIL", Boolean(), True,
            "Roundcube in the bundled stack and the production install (see Webmail)", "webmail"),
    Setting("WEBMAIL_IDLE_MINUTES", Integer(1, 10080), 30,
            "minutes without a request after which a Roundcube session ends", "webmail"),
    Setting("DB_ROUNDCUBE_PASSWORD", DB_PASSWORD, None, "the password of Roundcube's account `mailroundcube`",
            "webmail", default_text="generated into `var/secrets.json`", secret=True),
    Setting("WEBMAIL_DES_KEY", Text(r"[!#-&(-\[\]-~]{24}", "24 printable ASCII characters without white space, "
                                    "quotes or backslash", "text"),
            None, "Roundcube's `des_key` (encrypts the IMAP password in its sessions)", "webmail",
            default_text="generated into `var/secrets.json`", secret=True),
    Setting("DOVECOT_CONFIG", Folder(absolute=True, empty_allowed=True), "",
            "the `dovecot.conf` that `doveadm` runs with (`/etc/dovecot/dovecot.conf` in production)",
            "selfservice", default_text="empty: the bundled stack's"),
    Setting("DOVECOT_AUTH_CACHE", Boolean(), False,
            "Dovecot's auth cache on in the rendered configuration, and changes flush it", "selfservice"),
    Setting("DOVECOT_RETURNING_LOGIN_SECONDS", Integer(0, 86400), 3600,
            "how long Dovecot remembers a password that verified, so that the same mailbox logging in again "
            "with it skips the Argon2 check (docs/logins.md); 0: every login pays the hash.  Not used while "
            "`MAILADMIN_DOVECOT_AUTH_CACHE` is on (Dovecot would cache the check's own answers)", "selfservice"),
    Setting("MAIL_SERVER", Choice(("doveadm", "sudo")), "doveadm",
            "how the panel reaches Dovecot (ending sessions, auth cache, Sieve scripts): `doveadm` runs it "
            "itself (a panel running as root, as the bundled stack's); `sudo` through the root-owned helper "
            "`MAILADMIN_MAIL_SERVER_HELPER` (see Production)", "selfservice"),
    Setting("MAIL_SERVER_HELPER", Folder(absolute=True), "/usr/local/libexec/mailadmin/mailadmin-dovecot",
            "the root-owned helper that `MAILADMIN_MAIL_SERVER=sudo` runs with `sudo -n`", "selfservice"),
    Setting("TLS", Choice(("files", "acme")), "files",
            "where the certificate of mail and panel comes from: the operator's files, or ACME through certbot",
            "production"),
    Setting("IPV6", Choice(("auto", "yes", "no")), "auto",
            "whether the installed daemons (Postfix, Dovecot, nginx) listen on IPv6 as well as IPv4: `auto` "
            "when the host has an IPv6 address when `./mailctl install` runs", "production"),
    Setting("TLS_CERT_FILE", Folder(absolute=True, empty_allowed=True), "",
            "with `files`: the certificate chain (PEM) the install copies to `/etc/mailadmin/tls/fullchain.pem`",
            "production"),
    Setting("TLS_KEY_FILE", Folder(absolute=True, empty_allowed=True), "",
            "with `files`: its private key (PEM), copied to `/etc/mailadmin/tls/privkey.pem` (root only)",
            "production"),
    Setting("ACME_DIRECTORY", Text(r"https://[!-~]+", "an https:// URL", "URL"),
            "https://acme-v02.api.letsencrypt.org/directory", "with `acme`: the ACME server's directory URL",
            "production"),
    Setting("ACME_EMAIL", Text(r"|[^\s@]+@[^\s@]+", "empty, or an e-mail address", "address"), "",
            "with `acme`: the account's contact address (empty: none)", "production"),
    Setting("ACME_CA_BUNDLE", Folder(absolute=True, empty_allowed=True), "",
            "with `acme`: the CA certificates certbot trusts for the ACME server (empty: the system's)",
            "production"),
    Setting("BACKUP_REPOSITORY", Folder(absolute=True), None,
            "the borg repository backups are written to (made, encrypted, on the first backup)", "backup",
            default_text="`backups/borg` in `MAILADMIN_VAR_DIR`; `/var/backups/mailadmin/borg` when installed"),
    Setting("BACKUP_KEEP_DAILY", Integer(0, 3650), 7, "how many daily backups are kept (`borg prune`)", "backup"),
    Setting("BACKUP_KEEP_WEEKLY", Integer(0, 520), 4, "how many weekly backups are kept, beside the daily ones",
            "backup"),
    Setting("BACKUP_KEEP_MONTHLY", Integer(0, 1200), 6,
            "how many monthly backups are kept, beside the weekly ones", "backup"),
    Setting("SPAM_TEST_RULES", Boolean(), False,
            "SpamAssassin also reads the test suite's rules (the test settings turn it on)", "development"),
    Setting("BENCH_PORT_BASE", Integer(0, 55509), 31000,
            "the port base of the benchmark's first stack; each further size adds 5000", "development"),
)
DECLARED = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Problem:
    setting: Setting
    variable: str  # the variable that was read
    raw: str
    kind: str  # "invalid": the value is not allowed; "deprecated": an old name is read; "ignored": an old
    #            name is set beside the current one


def _read(setting: Setting, environ) -> tuple[str, str | None]:
    """(the variable read, its text), the current name first, else the old one."""
    for variable in (setting.variable, setting.old_variable):
        if variable and variable in environ:
            return variable, environ[variable]
    return setting.variable, None


def value(name: str, environ=None):
    """The value of MAILADMIN_<name>, or its default when it is unset or not allowed."""
    setting = DECLARED[name]
    _, raw = _read(setting, os.environ if environ is None else environ)
    if raw is not None:
        try:
            return setting.parse(raw)
        except ValueError:
            pass
    return copy.copy(setting.default)  # a list of one's own


def problems(environ=None) -> list[Problem]:
    """Every value that is not allowed, and every deprecated name in use."""
    environ = os.environ if environ is None else environ
    found = []
    for setting in SETTINGS:
        variable, raw = _read(setting, environ)
        if setting.old_variable in environ:
            kind = "deprecated" if variable == setting.old_variable else "ignored"
            found.append(Problem(setting, setting.old_variable, environ[setting.old_variable], kind))
        if raw is None:
            continue
        try:
            setting.parse(raw)
        except ValueError:
            found.append(Problem(setting, variable, raw, "invalid"))
    return found


# --- the reference page ----------------------------------------------------------------------

DOCS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "settings.md"
BEGIN = "<!-- generated from mailadmin/config.py by `.venv/bin/python -m mailadmin.config`: do not edit -->"
END = "<!-- end of the generated reference -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def reference_markdown() -> str:
    """The tables of docs/settings.md, one per section."""
    lines = []
    for section, title in SECTIONS.items():
        lines += ["", f"### {title}", "", "| variable | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        for setting in SETTINGS:
            if setting.section != section:
                continue
            name = f"`{setting.variable}`"
            if setting.old_name:
                name += f" (formerly `{setting.old_variable}`)"
            lines.append(" | ".join(["", name, setting.parse.kind, _cell(setting.default_shown),
                                     _cell(setting.parse.allowed), _cell(setting.description), ""]).strip())
    return "\n".join(lines[1:])


def docs_page_with_reference(page: str) -> str:
    """The page's text with the part between BEGIN and END generated again."""
    before, rest = page.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}\n{reference_markdown()}\n{END}{after}"


if __name__ == "__main__":
    DOCS_PAGE.write_text(docs_page_with_reference(DOCS_PAGE.read_text()))
    sys.stdout.write(f"wrote {DOCS_PAGE}\n")
