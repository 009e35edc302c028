"""Roundcube in the bundled stack: its database schema, php-fpm (its own master process and
pool, PHP running as www-data) and an nginx instance of its own on the stack's webmail port,
each with its files under the var folder (configurations rendered into var/etc/webmail)."""
import os
import signal
import subprocess
from pathlib import Path

from django.conf import settings

from mailstack.config import WEBMAIL_USER, paths
from mailstack.daemons import _launch, _owned_dir, _pid_from, _run, _terminate, _wait_for, port_open

ROUNDCUBE_SQL = Path("/usr/share/roundcube/SQL")
ROUNDCUBE_DEFAULTS = ("defaults.inc.php", "mimetypes.php")  # Debian's, read from the configuration folder
PHP_FPM = "/usr/sbin/php-fpm8.2"


def _kill_orphans(pidfile: Path, name: str) -> None:
    """After a crash of the master process, its workers (same process group, the master's pid)
    may still hold the port or socket: they are ended before a new master starts."""
    try:
        group = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if _pid_from(pidfile) is not None:
        return
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            command = (process / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            if os.getpgid(int(process.name)) == group and command.startswith(name):
                os.kill(int(process.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def enabled() -> bool:
    return bool(settings.MAILSTACK["webmail"])


def create_schema(mariadb: list[str], *, run=_run) -> None:
    """Roundcube's tables in its empty database (`mariadb`: the client command as the database's
    root); a database that has them is left as it is."""
    name = settings.MAILSTACK["webmail_db"]
    tables = run([*mariadb, "-N", "-e", f"SHOW TABLES FROM `{name}` LIKE 'system'"]).stdout
    if not tables.strip():
        run([*mariadb, name], input=(ROUNDCUBE_SQL / "mysql.initial.sql").read_text())


def update_schema(*, run=_run, config_dir: Path | None = None) -> None:
    """Brings Roundcube's tables to the installed Roundcube's version (its own updatedb.sh, with
    its configuration: `config_dir` when not Debian's /etc/roundcube); nothing when they are."""
    environment = {"PATH": "/usr/bin:/bin"} | ({"ROUNDCUBE_CONFIG_DIR": str(config_dir)} if config_dir else {})
    run(["/usr/share/roundcube/bin/updatedb.sh", f"--dir={ROUNDCUBE_SQL}", "--package=roundcube"], env=environment)


def prepare_folders() -> Path:
    """Roundcube's configuration folder (beside ours, Debian's defaults), its temporary and log
    folders; returns the configuration folder."""
    where = paths()
    config_dir = where.etc / "webmail"
    for name in ROUNDCUBE_DEFAULTS:
        link = config_dir / name
        if not link.is_symlink():
            link.unlink(missing_ok=True)
            link.symlink_to(Path("/etc/roundcube") / name)
    _owned_dir(where.var / "webmail", "root", 0o755)
    _owned_dir(where.var / "webmail" / "temp", WEBMAIL_USER, 0o700)
    _owned_dir(where.log / "roundcube", WEBMAIL_USER, 0o750)
    _owned_dir(where.run / "php-fpm", "root", 0o755)
    _owned_dir(where.var / "nginx", "root", 0o755)
    return config_dir


class PhpFpm:
    name = "php-fpm"

    def __init__(self):
        self.where = paths()
        self.config = self.where.etc / "webmail" / "php-fpm.conf"
        self.pidfile = self.where.run / "php-fpm" / "php-fpm.pid"
        self.socket = self.where.run / "php-fpm" / "webmail.sock"
        self.log = self.where.log / "php-fpm.log"

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and self.socket.exists()

    def start(self):
        _run([PHP_FPM, "--test", "--fpm-config", self.config])
        if self.running():
            subprocess.run(["kill", "-USR2", str(_pid_from(self.pidfile))], check=True)  # reloads its configuration
            return
        _kill_orphans(self.pidfile, "php-fpm")
        _terminate(self.pidfile)
        self.socket.unlink(missing_ok=True)
        _launch([PHP_FPM, "--fpm-config", self.config, "--pid", self.pidfile], self.log)
        _wait_for(self.running, "php-fpm", timeout=30, log=self.log)

    def stop(self):
        _terminate(self.pidfile)


class WebmailNginx:
    name = "nginx"

    def __init__(self):
        self.where = paths()
        self.config = self.where.etc / "webmail" / "nginx.conf"
        self.pidfile = self.where.run / "nginx.pid"
        self.log = self.where.log / "nginx-error.log"
        self.port = settings.MAILSTACK["ports"]["webmail"]

    def _nginx(self, *arguments):
        # -e: nginx's own messages before it reads the configuration, never in the system's /var/log/nginx.
        return ["nginx", "-c", self.config, "-p", self.where.var / "nginx", "-e", self.log, *arguments]

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and port_open(self.port)

    def start(self):
        _run(self._nginx("-t", "-q"))
        if self.running():
            _run(self._nginx("-s", "reload"))
            return
        _kill_orphans(self.pidfile, "nginx")
        _terminate(self.pidfile)
        _launch(self._nginx(), self.log)
        _wait_for(self.running, "nginx", timeout=30, log=self.log)

    def stop(self):
        _terminate(self.pidfile)
