"""Backups of the whole server with borg (Debian's borgbackup), and restoring them.

An archive holds a consistent dump of the panel's database (the ISPmail tables and the panel's
own), the mail folders with the stored mail of deleted mailboxes (their `.archive` folder), the
secrets and the rendered configuration.  The repository is encrypted (repokey) with a passphrase
made on the first backup and kept where only root reads it.  Each run writes its outcome to
`<var>/backup-status.json` for the panel's status page (docs/backups.md lists its fields).

The mail folders are copied while mail arrives: Maildir writes each message into tmp/ and renames
it into new/ (atomic), so a message is either in the archive whole or delivered after it was read.
"""
import json
import os
import pwd
import secrets
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

from mailstack import daemons
from mailstack.config import paths
from mailstack.health import installed
from mailstack.production import environment

PREFIX = "mailadmin-"
DUMP = "database.sql"


class BackupError(RuntimeError):
    """A backup or restore that did not happen; str() says why."""


@dataclass(frozen=True)
class Layout:
    """Where one host keeps what is backed up.  Archive paths are relative to `root`, so an
    archive of one checkout's stack restores into another's."""

    root: Path
    work: Path  # root only: the dump while it is archived, borg's cache, extracted archives
    passphrase: Path
    status: Path
    mail: str
    secrets: tuple[str, ...]  # put back by a restore, with the mail and the database
    configuration: tuple[str, ...]  # archived for reference; `mailstack up` / `./mailctl install` render them

    @property
    def dump(self) -> Path:
        return self.work / DUMP


def layout() -> Layout:
    if installed():
        var = Path(environment.VAR_DIR)
        return Layout(
            root=Path("/"), work=var / "backup", passphrase=Path("/etc/mailadmin/backup-passphrase"),
            status=var / "backup-status.json", mail=str(settings.MAILSTACK["vmail_dir"]).lstrip("/"),
            secrets=("etc/mailadmin", "etc/postsrsd.secret", "etc/letsencrypt", "etc/dkimkeys",
                     "var/lib/mailadmin/dkim"),
            configuration=("etc/postfix", "etc/dovecot", "etc/spamassassin", "etc/default/postsrsd",
                           "etc/nginx/sites-available/mailadmin", "etc/sudoers.d/mailadmin", "etc/systemd/system"),
        )
    var = paths().var
    return Layout(
        root=var, work=var / "backup", passphrase=var / "secrets" / "backup-passphrase",
        status=var / "backup-status.json", mail=str(Path(settings.MAILSTACK["vmail_dir"]).relative_to(var)),
        secrets=("secrets.json", "tls", "dkim"), configuration=("etc",),
    )


def _private_folder(path: Path) -> Path:
    """A folder of the backup's own (never a parent it did not make), root's alone."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _parent_of(path: Path) -> None:
    """Makes a missing parent folder root's alone; an existing one is left as it is."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)


def _ensure_passphrase(where: Layout) -> None:
    """Made once, 0600; the repository cannot be read without it (docs/backups.md: keep a copy)."""
    if where.passphrase.exists():
        return
    _parent_of(where.passphrase)
    descriptor = os.open(where.passphrase, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(secrets.token_urlsafe(48) + "\n")


def borg(where: Layout, *arguments, cwd=None, check=True) -> subprocess.CompletedProcess:
    environ = os.environ | {
        "BORG_PASSCOMMAND": f"cat {shlex.quote(str(where.passphrase))}",
        "BORG_BASE_DIR": str(_private_folder(where.work / "borg")),
        "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",  # a repository copied to a new host, or moved
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "no",
    }
    result = subprocess.run(["borg", *map(str, arguments)], cwd=cwd, env=environ, capture_output=True, text=True)
    if check and result.returncode not in (0, 1):  # 1: warnings (e.g. a file vanished while it was read)
        raise BackupError(f"borg {arguments[0]} failed (exit {result.returncode}): "
                          f"{(result.stderr or result.stdout).strip()[-2000:]}")
    return result


def repository() -> str:
    return str(settings.MAILADMIN_BACKUP_REPOSITORY)


def _ensure_repository(where: Layout, log) -> None:
    repo = Path(repository())
    if (repo / "config").exists():
        return
    _ensure_passphrase(where)
    _parent_of(repo)
    borg(where, "init", "--encryption=repokey", repo)
    log(f"made the encrypted repository {repo}; keep a copy of {where.passphrase} and of "
        f"`borg key export {repo}` away from this host")


class _DatabaseClient:
    """The panel's own account (all rights on its database), from a 0600 option file: the
    password never appears in a command line."""

    def __init__(self, where: Layout):
        database = settings.DATABASES["default"]
        self.name = database["NAME"]
        self.options = where.work / "client.cnf"
        descriptor = os.open(self.options, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(f"[client]\nuser={database['USER']}\npassword={database['PASSWORD']}\n"
                         f"host={database['HOST'] or '127.0.0.1'}\nport={database['PORT'] or 3306}\n")

    def run(self, program: str, *arguments, **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("stdout", subprocess.PIPE)
        result = subprocess.run([program, f"--defaults-extra-file={self.options}", *arguments],
                                stderr=subprocess.PIPE, **kwargs)
        if result.returncode != 0:
            error = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
            raise BackupError(f"{program} failed: {error.strip()[-2000:]}")
        return result

    def dump(self, target: Path) -> None:
        with open(target, "wb") as output:
            self.run("mariadb-dump", "--single-transaction", "--routines", "--triggers", "--events", "--hex-blob",
                     "--default-character-set=utf8mb4", self.name, stdout=output)

    def tables(self) -> list[tuple[str, str]]:
        result = self.run("mariadb", "-N", "-B", "-e",
                          f"SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = "
                          f"'{self.name}'", text=True)
        return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]

    def load(self, dump: Path) -> None:
        """Replaces every table of the database with the dump's, in one client session."""
        drops = [f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS `{name}`;" for name, kind in self.tables()]
        script = self.options.parent / "restore.sql"
        script.write_text("SET FOREIGN_KEY_CHECKS=0;\n" + "\n".join(drops) + f"\nSOURCE {dump};\n"
                          "SET FOREIGN_KEY_CHECKS=1;\n")
        with open(script) as stream:
            self.run("mariadb", "--default-character-set=utf8mb4", self.name, stdin=stream, text=True)
        script.unlink()

    def close(self):
        self.options.unlink(missing_ok=True)


def _write_status(where: Layout, status: dict) -> None:
    """Atomically, readable by the panel's user (nothing secret in it)."""
    temporary = where.status.with_suffix(".tmp")
    temporary.write_text(json.dumps(status, indent=2) + "\n")
    temporary.chmod(0o644)
    temporary.replace(where.status)


def read_status() -> dict | None:
    try:
        return json.loads(layout().status.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _present(where: Layout, names) -> list[str]:
    return [name for name in names if (where.root / name).exists()]


def backup(log=print) -> dict:
    """One archive of the whole server, then `borg prune` by the settings; returns the status written."""
    where = layout()
    started = datetime.now(UTC)
    name = f"{PREFIX}{started:%Y-%m-%dT%H:%M:%S.%f}"
    status = {"started": started.isoformat(), "finished": None, "ok": False, "archive": name,
              "repository": repository(), "original_size": None, "deduplicated_size": None, "files": None,
              "error": None}
    _private_folder(where.work)
    client = None
    try:
        _ensure_repository(where, log)
        client = _DatabaseClient(where)
        client.dump(where.dump)
        members = [str(where.dump.relative_to(where.root)), where.mail,
                   *_present(where, where.secrets), *_present(where, where.configuration)]
        result = borg(where, "create", "--json", "--compression=zstd", f"{repository()}::{name}",
                      *members, cwd=where.root)
        stats = json.loads(result.stdout)["archive"]["stats"]
        status |= {"original_size": stats["original_size"], "deduplicated_size": stats["deduplicated_size"],
                   "files": stats["nfiles"]}
        keep = settings.MAILADMIN_BACKUP_KEEP
        borg(where, "prune", f"--glob-archives={PREFIX}*", f"--keep-daily={keep['daily']}",
             f"--keep-weekly={keep['weekly']}", f"--keep-monthly={keep['monthly']}", repository())
        status["ok"] = True
        log(f"archive {name}: {stats['nfiles']} files, {stats['original_size']} bytes "
            f"({stats['deduplicated_size']} new) in {repository()}")
    except Exception as error:
        status["error"] = str(error) or type(error).__name__
        raise
    finally:
        if client:
            client.close()
        where.dump.unlink(missing_ok=True)
        status["finished"] = datetime.now(UTC).isoformat()
        # What the panel's status page shows (mailstack/status.py): the result and one line about it.
        status["result"] = "ok" if status["ok"] else "failed"
        status["detail"] = status["archive"] if status["ok"] else (status["error"] or "")[:300]
        _write_status(where, status)
    return status


def archives() -> list[str]:
    """The repository's archives, oldest first."""
    where = layout()
    result = borg(where, "list", "--json", f"--glob-archives={PREFIX}*", repository())
    return [archive["name"] for archive in json.loads(result.stdout)["archives"]]


class _Writers:
    """What writes to the database or the mail folders, stopped while a restore puts them back:
    the bundled stack's Postfix, Dovecot and mail-store worker; an installed host's units (and
    its panel). Postfix stopped, other servers keep the mail sent meanwhile and send it later."""

    UNITS = ("mailadmin.socket", "mailadmin.service", "mailadmin-mailstore.service", "postfix@-.service",
             "dovecot.service")

    def __init__(self):
        self.stopped = []

    def stop(self, log):
        if installed():
            for unit in self.UNITS:
                if subprocess.run(["systemctl", "is-active", "--quiet", unit]).returncode == 0:
                    subprocess.run(["systemctl", "stop", unit], check=True)
                    self.stopped.append(unit)
        else:
            for daemon in (daemons.Postfix(), daemons.Dovecot(), daemons.MailStoreWorker()):
                if daemon.running():
                    daemon.stop()
                    self.stopped.append(daemon)
        if self.stopped:
            log(f"stopped {', '.join(getattr(item, 'name', item) for item in self.stopped)}")

    def start(self, log):
        for item in reversed(self.stopped):
            if isinstance(item, str):
                subprocess.run(["systemctl", "start", item], check=True)
            else:
                item.start()
        if self.stopped:
            log(f"started {', '.join(getattr(item, 'name', item) for item in reversed(self.stopped))} again")


def existing_data() -> str:
    """What a restore would replace, in words; empty when the host holds no mail data yet (a
    fresh install's first superadmin does not count)."""
    from domains.models import Domain, Mailbox

    found = []
    domains = Domain.objects.count()
    if domains:
        found.append(f"{domains} domain(s) and {Mailbox.objects.count()} mailbox(es) in the database")
    mail = layout().root / layout().mail
    if mail.is_dir() and any(mail.iterdir()):
        found.append(f"mail folders in {mail}")
    return " and ".join(found)


def _chown_mail(folder: Path) -> None:
    account = pwd.getpwnam(settings.MAILSTACK["mail_user"])
    subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(folder)], check=True)


def _put_back(extracted: Path, target: Path) -> None:
    """Replaces `target` by the extracted copy (a file or a folder); with its modes and owners."""
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists() or target.is_symlink():
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(extracted), str(target))


def _contents(path: Path) -> dict[str, bytes]:
    """Every file below `path` (or `path` itself) by its relative name, to compare two copies."""
    if path.is_file():
        return {"": path.read_bytes()}
    return {str(file.relative_to(path)): file.read_bytes() for file in sorted(path.rglob("*")) if file.is_file()}


def restore(archive: str | None = None, *, force: bool = False, log=print) -> str:
    """Puts the database, the mail folders and the secrets of an archive (the latest by default)
    back; refuses while the host holds data, unless `force`.  Returns the archive's name."""
    where = layout()
    if not Path(repository(), "config").exists():
        raise BackupError(f"there is no backup repository at {repository()}")
    if not where.passphrase.exists():
        raise BackupError(f"the repository's passphrase file {where.passphrase} is missing: put the copy you kept "
                          "there (one line, mode 0600)")
    names = archives()
    if not names:
        raise BackupError(f"the repository {repository()} holds no archive")
    archive = archive or names[-1]
    if archive not in names:
        raise BackupError(f"there is no archive {archive!r} in {repository()} (`manage.py backup --list`)")
    found = existing_data()
    if found and not force:
        raise BackupError(f"this host already holds data ({found}); a restore replaces all of it with the "
                          f"archive's. Run it again with --force to do so. Nothing was changed.")
    _private_folder(where.work)
    extracted = Path(tempfile.mkdtemp(prefix="restore-", dir=where.work))
    writers = _Writers()
    client = None
    try:
        # Stopped first: nothing is delivered into mail folders about to be replaced; other
        # servers keep what they send meanwhile and send it again once Postfix is back.
        writers.stop(log)
        log(f"extracting {archive}")
        borg(where, "extract", f"{repository()}::{archive}", cwd=extracted)
        dump = extracted / where.dump.relative_to(where.root)
        if not dump.exists():
            raise BackupError(f"the archive {archive} holds no database dump")
        client = _DatabaseClient(where)
        client.load(dump)
        connections.close_all()
        log(f"database: loaded the dump of {archive}")
        mail = extracted / where.mail
        if mail.exists():
            _chown_mail(mail)
            _put_back(mail, where.root / where.mail)
            log(f"mail: put back {where.root / where.mail}")
        changed = []
        for name in where.secrets:
            if (extracted / name).exists():
                if _contents(extracted / name) != _contents(where.root / name):
                    changed.append(name)
                _put_back(extracted / name, where.root / name)
                log(f"secrets: put back {where.root / name}")
        if changed:
            log(f"secrets: {', '.join(changed)} differ from this host's: "
                + ("run ./mailctl install again" if installed() else "start the stack again (./mailctl run)")
                + " so that the database accounts and the daemons use them")
    finally:
        if client:
            client.close()
        shutil.rmtree(extracted, ignore_errors=True)
        writers.start(log)
    return archive
