"""The whole private stack, in start order: the database first, the mail daemons after it."""
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from django.core.management import call_command
from django.db import connections

from mailstack import webmail
from mailstack.config import context as config_context
from mailstack.config import paths
from mailstack.daemons import (
    Dovecot,
    MailStoreWorker,
    MariaDB,
    OpenDKIM,
    OpenDKIMEd25519,
    Postfix,
    PostSRSd,
    Spamd,
    SpamMilter,
    StackError,
    _owned_dir,
    local_replicas,
)
from mailstack.render import mariadb_sql, write_all

MAIL_DAEMONS = (Spamd, SpamMilter, PostSRSd, OpenDKIM, OpenDKIMEd25519, Dovecot, Postfix, MailStoreWorker)


def stack_daemons() -> tuple:
    """The mail daemons, then Roundcube's php-fpm and nginx when the webmail is on."""
    return MAIL_DAEMONS + ((webmail.PhpFpm, webmail.WebmailNginx) if webmail.enabled() else ())


def _ensure_traversable(folder, log):
    """The daemons' users (postfix, dovecot, vmail) must be able to pass through every parent
    of the var folder; add the search bit (o+x, never read) where one lacks it."""
    for parent in reversed(folder.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            log(f"note: allowing other users to pass through {parent} (chmod o+x), for the mail daemons")
            parent.chmod(mode | 0o001)


def _ensure_folders(log):
    where = paths()
    where.var.mkdir(parents=True, exist_ok=True)
    _ensure_traversable(where.var, log)
    for folder in (where.var, where.run, where.log, where.etc):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    _owned_dir(where.log, "root", 0o755)


def _self_signed(cert, key, subject: str):
    if cert.exists() and key.exists():
        return
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", subject,
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    key.chmod(0o600)


def _ensure_certificates():
    """The daemons' certificate, and Dovecot's client certificate: the only one Postfix's
    listener for Dovecot's own outgoing mail (auto-replies, forwards) relays for."""
    tls = paths().tls
    tls.mkdir(mode=0o700, exist_ok=True)
    _self_signed(tls / "cert.pem", tls / "key.pem", "/CN=mail.localhost")
    _self_signed(tls / "dovecot-client-cert.pem", tls / "dovecot-client-key.pem", "/CN=dovecot-submission.localhost")


def prepare_database(mariadb: MariaDB):
    """Accounts, schema and the daemons' grants; safe to run again at any time."""
    mariadb.execute(mariadb_sql("accounts.sql"))
    connections.close_all()
    call_command("migrate", interactive=False, verbosity=0)
    mariadb.execute(mariadb_sql("daemon-grants.sql"))


def start_replicas(primary: MariaDB, log):
    context_db = config_context()["db"]
    for replica in local_replicas():
        log(f"{replica.name}: starting")
        replica.start()
        replica.follow(primary, accounts_sql=mariadb_sql("accounts.sql"), grants_sql=mariadb_sql("daemon-grants.sql"),
                       user=context_db["replication_user"], password=context_db["replication_password"])


def render_configs():
    # The daemons' own processes (Postfix's map lookups run as postfix) read these folders.
    write_all(paths().etc, folder_mode=0o755)


def up(log=print):
    if os.geteuid() != 0:
        raise StackError("the mail stack runs Postfix, which must be started as root")
    _ensure_folders(log)
    _ensure_certificates()
    mariadb = MariaDB()
    log("mariadb: starting")
    mariadb.start()
    prepare_database(mariadb)
    start_replicas(mariadb, log)
    render_configs()
    if webmail.enabled():
        webmail.create_schema(["mariadb", f"--socket={mariadb.socket}", "-uroot"])
        webmail.update_schema(config_dir=webmail.prepare_folders())
    for daemon_class in stack_daemons():
        daemon = daemon_class()
        log(f"{daemon.name}: starting")
        daemon.start()
    if webmail.enabled():
        log(f"webmail: http://127.0.0.1:{webmail.WebmailNginx().port}/webmail/")
    log("mail stack is up")


def _together(doing: str, action: str, daemons, log):
    """Runs `action` of every daemon side by side (each waits for its own processes), so the
    stack goes down in the time of its slowest daemon; the first failure is raised once all
    have finished."""
    for daemon in daemons:
        log(f"{daemon.name}: {doing}")
    with ThreadPoolExecutor(max_workers=len(daemons) or 1) as pool:
        for done in [pool.submit(getattr(daemon, action)) for daemon in daemons]:
            done.result()


def down(log=print):
    # The mail daemons first, which may still be writing to the database; then the databases.
    # Roundcube's php-fpm and nginx too, also when the webmail was turned off since they started.
    web = (webmail.PhpFpm, webmail.WebmailNginx)
    _together("stopping", "stop", [daemon_class() for daemon_class in (*web, *reversed(MAIL_DAEMONS))], log)
    _together("stopping", "stop", [*local_replicas(), MariaDB()], log)
    log("mail stack is down")


def status() -> dict[str, bool]:
    daemons = (MariaDB(), *local_replicas(), *(daemon_class() for daemon_class in stack_daemons()))
    return {daemon.name: daemon.running() for daemon in daemons}
