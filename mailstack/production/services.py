"""The daemons on the host: Debian's own units and ours, the checks of their own tools, and
whether each is active and answers on its ports."""
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from mailstack.config import PRODUCTION_MILTER_SOCKET, PRODUCTION_PORTS, WEBMAIL_FPM_SOCKET


class ServiceError(RuntimeError):
    """A check, a start or a reload failed; str() names it and quotes the tool's answer."""


def run(command, *, check=True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        answer = (result.stderr.strip() or result.stdout.strip())[-3000:]
        raise ServiceError(f"`{' '.join(map(str, command))}` failed (exit {result.returncode}):\n{answer}")
    return result


def systemctl(*arguments, check=True) -> subprocess.CompletedProcess:
    return run(["systemctl", *arguments], check=check)


@dataclass(frozen=True)
class Service:
    unit: str
    ports: tuple[int, ...] = ()
    configs: tuple[str, ...] = ()  # installed paths (prefixes) a change of which the daemon must see
    restart: bool = False  # a change needs a restart (our own units), not a reload
    sockets: tuple[str, ...] = ()  # unix sockets that must exist once it runs
    enable: str = ""  # the unit to enable, when not `unit` itself

    def affected_by(self, paths) -> bool:
        return any(path.startswith(prefix) for path in paths for prefix in self.configs)

    def active(self) -> bool:
        return systemctl("is-active", "--quiet", self.unit, check=False).returncode == 0


TLS = "/etc/mailadmin/tls/"
OPENDKIM_DROP_IN = "/etc/systemd/system/opendkim.service.d/mailadmin.conf"
SERVICES = (
    Service("mariadb.service", (3306,)),
    # Our drop-in changes spamd's command line, which only a restart reads.
    Service("spamd.service", (PRODUCTION_PORTS["spamd"],),
            ("/etc/spamassassin/", "/etc/systemd/system/spamd.service.d/"), restart=True),
    Service("spamass-milter.service", sockets=(PRODUCTION_MILTER_SOCKET,)),
    # SRS for forwarded mail: Postfix asks its tables (main.cf), so it runs before Postfix.
    Service("postsrsd.service", (PRODUCTION_PORTS["srs_forward"], PRODUCTION_PORTS["srs_reverse"]),
            ("/etc/default/postsrsd",), restart=True),
    # The DKIM signer, started with our configuration by a drop-in (desired.py); before Postfix.
    Service("opendkim.service", (PRODUCTION_PORTS["dkim"],), ("/etc/opendkim/", OPENDKIM_DROP_IN), restart=True),
    Service("opendkim-ed25519.service", (PRODUCTION_PORTS["dkim_ed25519"],),
            ("/etc/opendkim/", "/etc/systemd/system/opendkim-ed25519.service"), restart=True),
    Service("dovecot.service", tuple(PRODUCTION_PORTS[name] for name in (
        "imap", "imaps", "pop3", "pop3s", "managesieve", "lmtp", "auth", "quota_status")), ("/etc/dovecot/", TLS)),
    # Debian's postfix.service only starts the instance postfix@-, which is the one that can fail.
    Service("postfix@-.service", (25, 465, 587), ("/etc/postfix/", TLS), enable="postfix.service"),
    Service("mailadmin.socket", configs=("/etc/systemd/system/mailadmin.socket",), restart=True,
            sockets=("/run/mailadmin.sock",)),
    Service("mailadmin.service", configs=("/etc/systemd/system/mailadmin.service",), restart=True),
    Service("mailadmin-mailstore.service", configs=("/etc/systemd/system/mailadmin-mailstore.service",),
            restart=True),
    Service("nginx.service", (80, 443), ("/etc/nginx/", TLS)),
    # The daily backup (mailstack/backup.py): the timer runs, its oneshot service only when due.
    Service("mailadmin-backup.timer", configs=("/etc/systemd/system/mailadmin-backup.",), restart=True),
)
# Roundcube's PHP (MAILADMIN_WEBMAIL): Debian's php-fpm with our pool; its configuration is read per request.
PHP_FPM = Service("php8.2-fpm.service", configs=("/etc/php/8.2/fpm/",), sockets=(WEBMAIL_FPM_SOCKET,))


def checks(root: Path, *, host: bool) -> list[list[str]]:
    """The daemons' own checks of the files below `root`.  `host`: the real host, where
    `postfix check` also looks at the queue's folders and nginx reads its own nginx.conf."""
    root = Path(root)
    units = [root / "etc/systemd/system" / name
             for name in ("mailadmin.socket", "mailadmin.service", "mailadmin-mailstore.service",
                          "mailadmin-backup.service", "mailadmin-backup.timer", "opendkim-ed25519.service")]
    commands = [
        ["postconf", "-c", root / "etc/postfix", "-n"],
        ["doveconf", "-n", "-c", root / "etc/dovecot/dovecot.conf"],
        ["doveconf", "-n", "-c", root / "etc/dovecot/quota-warning-lda.conf"],  # the quota warnings' LDA
        ["nginx", "-t", "-q", "-e", "stderr", "-c", root / "etc/nginx/nginx.conf"],
        ["systemd-analyze", "verify", *units],
        ["visudo", "-cf", root / "etc/sudoers.d/mailadmin"],
    ]
    if (root / "etc/roundcube/config.inc.php").exists():
        commands.append(["php", "-l", root / "etc/roundcube/config.inc.php"])
    if host:
        commands.insert(1, ["postfix", "check"])
        # OpenDKIM's check opens its key tables: the host's database and the signer's account.
        commands.append(["opendkim", "-n", "-x", root / "etc/opendkim/opendkim.conf"])
        commands.append(["opendkim", "-n", "-x", root / "etc/opendkim/opendkim-ed25519.conf"])
        if (root / "etc/php/8.2/fpm/pool.d/mailadmin-webmail.conf").exists():
            commands.append(["php-fpm8.2", "--test", "--fpm-config", root / "etc/php/8.2/fpm/php-fpm.conf"])
    return [[str(part) for part in command] for command in commands]


def check_all(root: Path, *, host: bool) -> None:
    """Runs every check; raises ServiceError with the first one that fails.  The tools exit 0
    on a parameter they ignore, so their warnings about our files count as failures too (those
    of `postfix check`, about the host's own files, do not)."""
    for command in checks(root, host=host):
        result = run(command)
        if command[0] == "postconf" and "warning:" in result.stderr:
            raise ServiceError(f"`{' '.join(command)}` warned:\n{result.stderr.strip()}")
        # systemd-analyze and nginx only warn about a value they ignore; dovecot.conf is ours alone.
        ours = [line for line in result.stderr.splitlines()
                if "mailadmin" in line or (command[0] == "doveconf" and "Warning" in line)]
        if command[0] in ("systemd-analyze", "nginx", "doveconf") and ours:
            raise ServiceError(f"`{' '.join(command)}` warned:\n" + "\n".join(ours))


def postfix_listeners() -> str:
    """inet_interfaces and inet_protocols of the host's main.cf: `postfix reload` keeps the
    listeners Postfix started with, so a change of these needs a restart (postconf(5))."""
    return run(["postconf", "-h", "inet_interfaces", "inet_protocols"], check=False).stdout


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def _main_pid(service: Service) -> str:
    return systemctl("show", "--property=MainPID", "--value", service.unit, check=False).stdout.strip()


def wait_until_serving(service: Service, timeout: float = 60.0, *, answering: bool = True) -> None:
    """Active and answering on its ports and sockets (`answering`: the ports of our configuration;
    after a roll-back only active); a service with neither (the worker) must still be the same
    running process a moment later: one that fails at start is restarted by systemd and only
    seems active between two attempts."""
    deadline = time.monotonic() + timeout
    while True:
        missing = [str(port) for port in service.ports if answering and not port_answers(port)]
        missing += [path for path in service.sockets if answering and not Path(path).exists()]
        if service.active() and not missing:
            if service.ports or service.sockets:
                return
            pid = _main_pid(service)
            time.sleep(2)
            if service.active() and _main_pid(service) == pid:
                return
        if time.monotonic() > deadline:
            state = systemctl("is-active", service.unit, check=False).stdout.strip()
            log = run(["journalctl", "-u", service.unit, "-n", "15", "--no-pager"], check=False).stdout
            raise ServiceError(f"{service.unit} is {state}" + (f"; not answering on {', '.join(missing)}"
                                                                 if missing else "") + f"\n{log}")
        time.sleep(0.3)
