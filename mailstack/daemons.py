"""Starts and stops the private mail stack: MariaDB, SpamAssassin (spamd and spamass-milter),
Dovecot and Postfix, each with its own folders under the var folder and on its own loopback
ports, never touching the system's own instances.

Every start and stop is idempotent: a daemon already running is left running (Postfix and
Dovecot reload their configuration), and pid files left by a crash are cleaned up.
"""
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from mailstack.config import mail_ids, paths


class StackError(RuntimeError):
    pass


def _run(command, **kwargs):
    kwargs.setdefault("check", True)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    try:
        return subprocess.run([str(part) for part in command], **kwargs)
    except subprocess.CalledProcessError as error:
        raise StackError(f"{' '.join(map(str, command))} failed: {error.stderr or error.stdout}") from error


def _launch(command, log: Path, **kwargs):
    """Starts a daemon that forks into the background; its output goes to its log, never to a
    pipe (a pipe held open by the forked daemon would block the caller forever)."""
    with open(log, "ab") as output:
        result = subprocess.run([str(part) for part in command], stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, **kwargs)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise StackError(f"{' '.join(map(str, command))} failed (exit {result.returncode}):\n{tail}")


def _wait_for(predicate, what: str, timeout: float = 60.0, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tail = ""
    if log and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:])
    raise StackError(f"{what} did not come up within {timeout:.0f} s{tail}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _pid_from(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def _terminate(pidfile: Path, timeout: float = 30.0):
    pid = _pid_from(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # a daemon this process started (the mail-store worker) leaves no zombie
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


def _owned_dir(path: Path, user: str, mode: int = 0o750) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    account = pwd.getpwnam(user)
    os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(mode)
    return path


class MariaDB:
    """The primary: the panel writes here.  With replicas configured it keeps a binary log
    (GTID, row format) for them to follow."""

    name = "mariadb"
    server_id = 1

    def __init__(self):
        self.where = paths()
        self.pidfile = self.where.run / "mariadb.pid"
        self.log = self.where.log / "mariadb.log"
        self.socket = self.where.mariadb_socket
        self.data = self.where.mariadb_data
        self.address = "127.0.0.1"
        self.port = settings.MAILSTACK["ports"]["mariadb"]

    def ping(self) -> bool:
        result = subprocess.run(["mariadb-admin", f"--socket={self.socket}", "-uroot", "ping"],
                                capture_output=True, text=True)
        return result.returncode == 0

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and self.ping()

    def replication_options(self) -> list[str]:
        if not settings.MAILSTACK["db_replicas"]:
            return []
        # Row events only, so the triggers that keep per-domain totals (domains/totals.py) are
        # replayed as the rows they wrote, and the panel's account may create them.
        return [f"--server-id={self.server_id}", f"--log-bin={self.data / 'mariadb-bin'}", "--binlog-format=ROW",
                "--log-bin-trust-function-creators=1"]

    def _logging_as_configured(self) -> bool:
        result = subprocess.run(["mariadb", f"--socket={self.socket}", "-uroot", "-N", "-e", "SELECT @@log_bin"],
                                capture_output=True, text=True)
        return result.stdout.strip() == ("1" if self.replication_options() else "0")

    def start(self):
        if self.running():
            if self._logging_as_configured():
                return
            self.stop()  # replicas were turned on or off: restart with or without the binary log
        _terminate(self.pidfile)
        if not (self.data / "mysql").exists():
            if self.data.exists():
                shutil.rmtree(self.data)
            _owned_dir(self.data, "mysql")
            _run(["mariadb-install-db", "--user=mysql", f"--datadir={self.data}",
                  "--auth-root-authentication-method=socket", "--skip-test-db"])
        _owned_dir(self.where.run, "mysql", 0o755)
        self.socket.unlink(missing_ok=True)
        with open(self.log, "ab") as log:
            subprocess.Popen(
                ["mariadbd", "--no-defaults", "--user=mysql", f"--datadir={self.data}",
                 f"--socket={self.socket}", f"--port={self.port}", f"--bind-address={self.address}",
                 f"--pid-file={self.pidfile}", "--skip-name-resolve", "--character-set-server=utf8mb4",
                 f"--collation-server={settings.ADDRESS_COLLATION}", "--innodb-buffer-pool-size=1G",
                 "--innodb-flush-log-at-trx-commit=2", "--max-connections=500", *self.replication_options()],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        _wait_for(self.running, "MariaDB", log=self.log)

    def stop(self):
        if self.ping():
            subprocess.run(["mariadb-admin", f"--socket={self.socket}", "-uroot", "shutdown"], capture_output=True)
        _terminate(self.pidfile)

    def execute(self, sql: str):
        """Runs SQL as the database's root account (over the socket, as the system's root)."""
        _run(["mariadb", f"--socket={self.socket}", "-uroot"], input=sql)


class MariaDBReplica(MariaDB):
    """A read-only replica on another loopback address and the primary's port, following the
    primary with MariaDB's own replication (GTID).  Seeded once from a dump of the panel's
    database; the daemons' accounts are made on it as on the primary."""

    def __init__(self, address: str, number: int = 1):
        super().__init__()
        self.name = f"mariadb-replica-{address}"
        self.server_id = 1 + number
        self.address = address
        self.pidfile = self.where.run / f"mariadb-replica-{number}.pid"
        self.log = self.where.log / f"mariadb-replica-{number}.log"
        self.socket = self.where.run / f"mariadb-replica-{number}.sock"
        self.data = self.where.var / f"mariadb-replica-{number}"

    def replication_options(self) -> list[str]:
        # Roundcube's database (sessions, contacts) is the primary's alone: the replicas serve the daemons.
        return [f"--server-id={self.server_id}", "--read-only", f"--relay-log={self.data / 'relay-bin'}",
                f"--replicate-ignore-db={settings.MAILSTACK['webmail_db']}"]

    def _logging_as_configured(self) -> bool:
        return True

    def following(self) -> bool:
        result = subprocess.run(["mariadb", f"--socket={self.socket}", "-uroot", "-e", "SHOW SLAVE STATUS"],
                                capture_output=True, text=True)
        return bool(result.stdout.strip())

    def follow(self, primary: MariaDB, *, accounts_sql: str, grants_sql: str, user: str, password: str):
        """Loads the primary's data at a known GTID position and replicates from there on."""
        if self.following():
            return
        dump = _run(["mariadb-dump", f"--socket={primary.socket}", "-uroot", "--single-transaction", "--gtid",
                     "--master-data=1", "--databases", settings.DATABASES["default"]["NAME"]]).stdout
        self.execute(dump)
        self.execute(accounts_sql + grants_sql)
        self.execute(f"CHANGE MASTER TO MASTER_HOST='{primary.address}', MASTER_PORT={primary.port},"
                     f" MASTER_USER='{user}', MASTER_PASSWORD='{password}', MASTER_USE_GTID=slave_pos;"
                     " START SLAVE;")


def local_replicas() -> list[MariaDBReplica]:
    """The configured replicas on loopback addresses, which the private stack runs itself."""
    hosts = [host for host in settings.MAILSTACK["db_replicas"] if host.startswith("127.")]
    return [MariaDBReplica(host, number) for number, host in enumerate(hosts, 1)]


class Spamd:
    name = "spamd"

    def __init__(self):
        self.where = paths()
        self.pidfile = self.where.run / "spamd.pid"
        self.log = self.where.log / "spamd.log"
        self.port = settings.MAILSTACK["ports"]["spamd"]

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and port_open(self.port)

    def start(self):
        if self.running():
            # spamd re-executes itself on SIGHUP to re-read its configuration, closing its port for
            # a few seconds: wait for it to close and answer again, so that status() after up() is true.
            os.kill(_pid_from(self.pidfile), signal.SIGHUP)
            with contextlib.suppress(StackError):
                _wait_for(lambda: not port_open(self.port), "spamd's restart", timeout=5)
            _wait_for(self.running, "spamd", timeout=120, log=self.log)
            return
        _terminate(self.pidfile)
        site = self.where.spamassassin_config
        # Debian's plugin loaders (*.pre) beside our own local.cf.
        for pre in Path("/etc/spamassassin").glob("*.pre"):
            link = site / pre.name
            if not link.exists():
                link.symlink_to(pre)
        home = _owned_dir(self.where.var / "spamd-home", "debian-spamd")
        _launch(["spamd", "--daemonize", f"--pidfile={self.pidfile}", f"--listen=127.0.0.1:{self.port}",
              "--username=debian-spamd", "--groupname=debian-spamd", f"--helper-home-dir={home}",
              f"--siteconfigpath={site}", "--nouser-config", "--max-children=2", "--min-children=1",
              # Dovecot's IMAPSieve teaches Bayes with `spamc -L` (users' moves into and out of Junk).
              "--allow-tell",
              f"--syslog={self.log}"], self.log)
        _wait_for(self.running, "spamd", timeout=120, log=self.log)

    def stop(self):
        _terminate(self.pidfile)


class SpamMilter:
    name = "spamass-milter"

    def __init__(self):
        self.where = paths()
        self.rundir = self.where.run / "milter"
        self.pidfile = self.rundir / "spamass-milter.pid"
        self.log = self.where.log / "spamass-milter.log"
        self.ports = settings.MAILSTACK["ports"]

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and port_open(self.ports["milter"])

    def start(self):
        if self.running():
            return
        _terminate(self.pidfile)
        _owned_dir(self.rundir, "spamass-milter")
        _launch(["spamass-milter", "-f", "-P", self.pidfile, "-p", f"inet:{self.ports['milter']}@127.0.0.1",
              "--", "-d", "127.0.0.1", "-p", self.ports["spamd"]], self.log,
                user="spamass-milter", group="spamass-milter")
        _wait_for(self.running, "spamass-milter", timeout=30)

    def stop(self):
        _terminate(self.pidfile)


class PostSRSd:
    """postsrsd: the SRS lookup tables Postfix asks for forwarded mail (main.cf).  Its secret,
    which signs the SRS addresses, is made once and kept (readable by root only): a new one would
    make the bounces of mail forwarded before it undeliverable."""

    name = "postsrsd"

    def __init__(self):
        self.where = paths()
        self.pidfile = self.where.run / "postsrsd.pid"
        self.secret = self.where.var / "postsrsd.secret"
        self.log = self.where.log / "postsrsd.log"
        self.ports = settings.MAILSTACK["ports"]

    def running(self) -> bool:
        return (_pid_from(self.pidfile) is not None and port_open(self.ports["srs_forward"])
                and port_open(self.ports["srs_reverse"]))

    def ensure_secret(self):
        if not self.secret.exists():
            descriptor = os.open(self.secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as secret:
                secret.write(secrets.token_urlsafe(32) + "\n")

    def start(self):
        if self.running():
            return
        _terminate(self.pidfile)
        self.ensure_secret()
        _launch(["postsrsd", f"-s{self.secret}", f"-d{settings.MAILSTACK['hostname']}", "-l127.0.0.1", "-4",
                 f"-f{self.ports['srs_forward']}", f"-r{self.ports['srs_reverse']}", f"-p{self.pidfile}",
                 "-upostsrsd", "-D"], self.log)
        _wait_for(self.running, "postsrsd", timeout=30, log=self.log)

    def stop(self):
        """The daemon and the children it forked for each of Postfix's (long-lived) connections:
        its process group, so that no lookup is answered once it is stopped."""
        pid = _pid_from(self.pidfile)
        with contextlib.suppress(ProcessLookupError):
            group = os.getpgid(pid) if pid is not None else None
            if group is not None and group != os.getpgrp():  # postsrsd makes its own session (-D)
                os.killpg(group, signal.SIGTERM)
        _terminate(self.pidfile)


class OpenDKIM:
    """The DKIM signer (deploy/opendkim/opendkim.conf); it reads the keys from MariaDB."""

    name = "opendkim"
    port_name = "dkim"

    def __init__(self):
        self.where = paths()
        self.config = self.where.opendkim_config / f"{self.name}.conf"
        self.rundir = self.where.run / "opendkim"
        self.pidfile = self.rundir / f"{self.name}.pid"
        self.log = self.where.log / f"{self.name}.log"
        self.port = settings.MAILSTACK["ports"][self.port_name]

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and port_open(self.port)

    def start(self):
        if self.running():
            return
        _terminate(self.pidfile)
        _owned_dir(self.rundir, "opendkim")
        _launch(["opendkim", "-x", self.config], self.log)
        _wait_for(self.running, "opendkim", timeout=30, log=self.log)

    def stop(self):
        _terminate(self.pidfile)


class OpenDKIMEd25519(OpenDKIM):
    """The second signer, for the domains' optional Ed25519 signature (deploy/opendkim/opendkim-ed25519.conf)."""

    name = "opendkim-ed25519"
    port_name = "dkim_ed25519"


class Dovecot:
    name = "dovecot"

    def __init__(self):
        self.where = paths()
        self.config = self.where.dovecot_config / "dovecot.conf"
        self.pidfile = self.where.run / "dovecot" / "master.pid"
        self.log = self.where.log / "dovecot.log"
        self.ports = settings.MAILSTACK["ports"]

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None and port_open(self.ports["imap"])

    def doveadm(self, *arguments, **kwargs):
        return _run(["doveadm", "-c", self.config, *arguments], **kwargs)

    def start(self):
        uid, gid = mail_ids()
        vmail = Path(settings.MAILSTACK["vmail_dir"])
        vmail.mkdir(parents=True, exist_ok=True)
        os.chown(vmail, uid, gid)
        (self.where.var / "dovecot-state").mkdir(exist_ok=True)
        _run(["doveconf", "-c", self.config, "-n"])  # refuses a broken configuration with its reason
        for script in ("spam-to-junk.sieve", "learn-spam.sieve", "learn-ham.sieve"):
            _run(["sievec", "-c", self.config, self.where.dovecot_config / script])
        # The one program the learning scripts may pipe to (sieve_pipe_bin_dir).
        pipe_bin = self.where.dovecot_config / "sieve-pipe"
        pipe_bin.mkdir(mode=0o755, exist_ok=True)
        if not (pipe_bin / "spamc").is_symlink():
            (pipe_bin / "spamc").symlink_to("/usr/bin/spamc")
        if self.running():
            _launch(["dovecot", "-c", self.config, "reload"], self.log)
            return
        _terminate(self.pidfile)
        _launch(["dovecot", "-c", self.config], self.log)
        _wait_for(self.running, "Dovecot", timeout=30, log=self.log)

    def stop(self):
        if _pid_from(self.pidfile) is not None:
            subprocess.run(["dovecot", "-c", self.config, "stop"], capture_output=True)
        _terminate(self.pidfile)


class Postfix:
    name = "postfix"

    def __init__(self):
        self.where = paths()
        self.config_dir = self.where.postfix_config
        self.ports = settings.MAILSTACK["ports"]

    def running(self) -> bool:
        result = subprocess.run(["postfix", "-c", self.config_dir, "status"], capture_output=True)
        return result.returncode == 0

    def postfix(self, *arguments):
        _launch(["postfix", "-c", self.config_dir, *arguments], self.where.log / "postfix-control.log")

    def start(self):
        (self.where.var / "postfix" / "queue").mkdir(parents=True, exist_ok=True)
        _owned_dir(self.where.var / "postfix" / "data", "postfix", 0o700)
        if self.running():
            self.postfix("reload")
            return
        self.postfix("set-permissions")
        self.postfix("start")
        _wait_for(lambda: port_open(self.ports["smtp"]), "Postfix", timeout=30,
                  log=self.where.log / "postfix.log")

    def stop(self):
        if self.running():
            self.postfix("stop")


class MailStoreWorker:
    """`manage.py mailstore work`: the only process that moves or removes stored mail; it also
    sends the webhook deliveries (webhooks/delivery.py)."""

    name = "mailstore"

    def __init__(self):
        self.where = paths()
        self.pidfile = self.where.run / "mailstore.pid"
        self.log = self.where.log / "mailstore.log"

    def running(self) -> bool:
        return _pid_from(self.pidfile) is not None

    def start(self):
        if self.running():
            return
        environment = os.environ | {"DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                              "mailadmin.settings")}
        with open(self.log, "ab") as log:
            worker = subprocess.Popen(
                [sys.executable, Path(settings.BASE_DIR) / "manage.py", "mailstore", "work",
                 "--interval", str(settings.MAILSTACK.get("mailstore_interval", 5))], env=environment,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.pidfile.write_text(str(worker.pid))
        time.sleep(0.5)
        if worker.poll() is not None:
            raise StackError(f"the mail-store worker stopped at once; see {self.log}")

    def stop(self):
        _terminate(self.pidfile)
