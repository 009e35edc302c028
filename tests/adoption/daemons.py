"""An ISPmail server's daemons, for the adoption tests: a Dovecot of its own (LMTP and IMAP on
the test stack's spare ports) and Postfix's map lookups (`postmap -q`), each run with the
edition's own queries or with the panel's bundled ones, against an adopted database."""
import imaplib
import os
import shutil
import signal
import smtplib
import subprocess
import time
from pathlib import Path

from django.conf import settings

from mailstack.config import mail_ids, paths
from mailstack.daemons import port_open
from mailstack.render import render
from tests.adoption import editions
from tests.adoption.conftest import EDITION_PASSWORD, EDITION_USER

IMAP_PORT = settings.PORT_BASE + 2143
LMTP_PORT = settings.PORT_BASE + 2024
DB_PORT = settings.MAILSTACK["ports"]["mariadb"]

DOVECOT_CONF = """instance_name = ispmail-{imap_port}
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
# A wrong password is answered at once, as on the test stack (deploy/dovecot/dovecot.conf), instead
# of after Dovecot's 2 s brake on guessing.
auth_failure_delay = 0
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
passdb {{
  driver = sql
  args = {base}/dovecot-sql.conf.ext
}}
{userdb}
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@example.org
}}
"""


class IspmailDovecot:
    """Dovecot with an edition's dovecot-sql.conf.ext (or the bundled one) for one database."""

    def __init__(self, database: str, edition: str):
        self.database, self.edition = database, edition
        self.base = paths().var / "ispmail-dovecot"
        self.vmail = self.base / "vmail"
        self.conf = self.base / "dovecot.conf"

    def _write(self, sql_conf: str, userdb: str):
        uid, gid = mail_ids()
        for folder in (self.base / "run", self.base / "state", self.vmail):
            folder.mkdir(parents=True, exist_ok=True)
        os.chown(self.vmail, uid, gid)
        self.conf.write_text(DOVECOT_CONF.format(base=self.base, uid=uid, imap_port=IMAP_PORT, lmtp_port=LMTP_PORT,
                                                 userdb=userdb))
        (self.base / "dovecot-sql.conf.ext").write_text(sql_conf)

    def edition_queries(self):
        """The edition's own configuration, as its tutorial wrote it."""
        uid, gid = mail_ids()
        queries = editions.dovecot_sql(self.edition)
        lines = ["driver = mysql", f"connect = host=127.0.0.1 port={DB_PORT} dbname={self.database}"
                 f" user={EDITION_USER} password={EDITION_PASSWORD}"]
        lines += [f"{name} = {value.format(vmail=self.vmail, uid=uid, gid=gid)}" for name, value in queries.items()]
        if "user_query" in queries:
            userdb = f"userdb {{\n  driver = sql\n  args = {self.base}/dovecot-sql.conf.ext\n}}"
        else:
            userdb = f"userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={self.vmail}/%d/%n\n}}"
        self._write("\n".join(lines) + "\n", userdb)

    def bundled_queries(self):
        """The panel's deploy/dovecot/dovecot-sql.conf.ext, rendered for this database and folder."""
        sql_conf = render("dovecot/dovecot-sql.conf.ext", database=self.database)
        sql_conf = sql_conf.replace(str(settings.MAILSTACK["vmail_dir"]), str(self.vmail))
        self._write(sql_conf, f"userdb {{\n  driver = sql\n  args = {self.base}/dovecot-sql.conf.ext\n}}")

    def start(self):
        self.stop()
        # Never a pipe: the forked master would hold it open.
        result = subprocess.run(["dovecot", "-c", self.conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        assert result.returncode == 0, (self.base / "dovecot.log").read_text()
        deadline = time.monotonic() + 30
        while not (port_open(IMAP_PORT) and port_open(LMTP_PORT)):
            assert time.monotonic() < deadline, "the ISPmail Dovecot did not start"
            time.sleep(0.2)

    def stop(self):
        """Ends this Dovecot at once: its master and every process it started get SIGKILL, so its
        ports are free again without the 2.4 s of a graceful `dovecot stop` (nothing it holds
        needs saving: it is a test double that only delivers and answers logins)."""
        pid_file = self.base / "run" / "master.pid"
        if not pid_file.exists():
            return
        master = int(pid_file.read_text())
        children = [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()
                    and _parent_of(entry) == master]
        for pid in (master, *children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pid_file.unlink()
        deadline = time.monotonic() + 15
        while (port_open(IMAP_PORT) or port_open(LMTP_PORT)) and time.monotonic() < deadline:
            time.sleep(0.05)

    def remove(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def deliver(self, recipient: str, subject: str):
        """Delivers a message over LMTP: Dovecot looks the recipient up with its userdb query."""
        with smtplib.LMTP("127.0.0.1", LMTP_PORT, timeout=30) as client:
            client.sendmail("someone@remote.test", [recipient],
                            f"From: someone@remote.test\r\nTo: {recipient}\r\nSubject: {subject}\r\n\r\nHello.\r\n")

    def subjects(self, user: str, password: str) -> list[str]:
        """Logs in over IMAP (Dovecot checks the password with its passdb query); INBOX subjects."""
        client = imaplib.IMAP4("127.0.0.1", IMAP_PORT, timeout=30)
        try:
            client.login(user, password)
            client.select("INBOX", readonly=True)
            _, data = client.search(None, "ALL")
            subjects = []
            for number in data[0].split():
                _, parts = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                subjects.append(parts[0][1].decode().strip().removeprefix("Subject: "))
            return subjects
        finally:
            client.logout()


def _parent_of(process: Path) -> int | None:
    try:
        return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def postmap(map_file: Path, key: str) -> str | None:
    config = paths().postfix_config
    result = subprocess.run(["postmap", "-c", str(config), "-q", key, f"mysql:{map_file}"], capture_output=True,
                            text=True)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.strip() if result.returncode == 0 else None


def _written_earlier(path: Path):
    """Postfix reads a map file only once it has not changed for a second (it takes a fresher file
    for one being written, and waits); a file the test has just written is dated a minute back."""
    earlier = time.time() - 60
    os.utime(path, (earlier, earlier))


def edition_postfix_maps(folder: Path, database: str) -> dict[str, Path]:
    """The edition's mysql-*.cf files (the tutorial's, identical in every edition)."""
    folder.mkdir(parents=True, exist_ok=True)
    maps = {}
    for name, query in editions.POSTFIX_QUERIES.items():
        path = folder / name
        path.write_text(f"user = {EDITION_USER}\npassword = {EDITION_PASSWORD}\nhosts = 127.0.0.1:{DB_PORT}\n"
                        f"dbname = {database}\nquery = {query}\n")
        _written_earlier(path)
        maps[name] = path
    return maps


def bundled_postfix_maps(folder: Path, database: str) -> dict[str, Path]:
    """The panel's deploy/postfix/mysql-*.cf, rendered for this database."""
    folder.mkdir(parents=True, exist_ok=True)
    maps = {}
    for name in editions.POSTFIX_QUERIES:
        path = folder / name
        path.write_text(render(f"postfix/{name}", database=database))
        _written_earlier(path)
        maps[name] = path
    return maps
