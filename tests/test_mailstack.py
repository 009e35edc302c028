"""The stack's own commands: configurations rendered from the settings, and start/stop that
survive being run twice or after a crash."""
import os
import re
import signal
import socket
import ssl
import subprocess
import time

import pytest
from django.core.management import CommandError, call_command

from mailstack import stack, webmail
from mailstack.config import paths
from mailstack.daemons import Dovecot, MariaDB, _pid_from
from mailstack.render import TEMPLATES, render
from tests import mail

pytestmark = pytest.mark.stack


def test_production_profile_renders_configurations_the_daemons_accept(tmp_path, settings):
    call_command("mailstack", "render", "--profile", "production", "--output", str(tmp_path))
    for daemon, names in TEMPLATES.items():
        assert sorted(path.name for path in (tmp_path / daemon).iterdir()) == sorted(names)
    main_cf = (tmp_path / "postfix" / "main.cf").read_text()
    assert "queue_directory = /var/spool/postfix" in main_cf
    assert "mysql:/etc/postfix/mysql-virtual-mailbox-maps.cf" in main_cf
    assert "smtp      inet" in (tmp_path / "postfix" / "master.cf").read_text()
    postconf = subprocess.run(["postconf", "-c", str(tmp_path / "postfix"), "-n", "virtual_transport"],
                              capture_output=True, text=True)
    assert postconf.stdout.strip() == "virtual_transport = dovecot-lmtp:inet:127.0.0.1:24"
    sql = (tmp_path / "dovecot" / "dovecot-sql.conf.ext").read_text()
    assert "CONCAT('/var/vmail/', IF(" in sql and settings.SECRETS["db_dovecot"] in sql
    assert oct((tmp_path / "dovecot" / "dovecot-sql.conf.ext").stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("profile", ["private", "production"])
def test_both_profiles_restrict_senders_and_tls_versions_alike(tmp_path, profile):
    call_command("mailstack", "render", "--profile", profile, "--output", str(tmp_path))
    postfix = tmp_path / "postfix"

    def postconf(*arguments):
        return subprocess.run(["postconf", "-c", str(postfix), *arguments], capture_output=True, text=True).stdout

    settings = dict(line.partition(" =")[::2] for line in postconf("-n").splitlines())
    settings = {name: value.strip() for name, value in settings.items()}
    assert settings["smtpd_sender_login_maps"] == f"mysql:{settings['config_directory']}/mysql-sender-login-maps.cf"
    assert settings["smtpd_sender_restrictions"].startswith("check_sender_access mysql:")
    assert settings["mailadmin_authenticated_sender_restrictions"] == "reject_sender_login_mismatch"
    assert settings["smtpd_tls_protocols"] == settings["smtpd_tls_mandatory_protocols"] == ">=TLSv1.2"
    overrides = postconf("-P").splitlines()
    authenticated = {line.split("/")[0] for line in overrides if "/smtpd_sasl_auth_enable = yes" in line}
    assert authenticated, overrides
    for service in authenticated:
        assert any(line.startswith(f"{service}/inet/smtpd_sender_restrictions = $mailadmin_authenticated_sender_"
                                   "restrictions") for line in overrides), service
    dovecot = (tmp_path / "dovecot" / "dovecot.conf").read_text()
    assert "ssl_min_protocol = TLSv1.2" in dovecot


@pytest.mark.parametrize("profile", ["private", "production"])
def test_wrong_passwords_stay_slowed_down_outside_the_test_stack(tmp_path, settings, profile):
    """Dovecot's 2 s delay before a failure reply and its growing penalty per client address stay
    on in the bundled stack and in production; only the test stack turns them off."""
    settings.MAILSTACK = {name: value for name, value in settings.MAILSTACK.items() if name != "slow_auth_failures"}
    call_command("mailstack", "render", "--profile", profile, "--output", str(tmp_path))
    dovecot = (tmp_path / "dovecot" / "dovecot.conf").read_text()
    assert "auth_failure_delay" not in dovecot and "anvil-auth-penalty" not in dovecot
    running = subprocess.run(["doveconf", "-c", str(paths().dovecot_config / "dovecot.conf"), "auth_failure_delay"],
                             capture_output=True, text=True, check=True)
    assert running.stdout.strip() == "auth_failure_delay = 0", "the test stack answers wrong passwords at once"


def test_managesieve_answers_and_offers_starttls(settings):
    with socket.create_connection(("127.0.0.1", settings.MAILSTACK["ports"]["managesieve"]), timeout=10) as client:
        greeting = client.recv(4096).decode()
    assert '"STARTTLS"' in greeting and '"SIEVE"' in greeting


def test_imap_offers_starttls_with_the_stacks_own_certificate(settings):
    import imaplib

    client = imaplib.IMAP4("127.0.0.1", settings.MAILSTACK["ports"]["imap"])
    try:
        assert "STARTTLS" in client.capabilities
        client.starttls(ssl_context=mail.tls_context())
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        client.shutdown()
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4("127.0.0.1", settings.MAILSTACK["ports"]["imap"]).starttls(
            ssl_context=ssl.create_default_context())


def test_up_again_after_a_crash_brings_every_daemon_back(mail_domain):
    from domains import services
    from domains.models import MailStoreJob
    from mailstack.daemons import MailStoreWorker

    example = mail_domain("example.org")
    example.mailbox("back")
    gone = example.mailbox("gone")
    worker = _pid_from(MailStoreWorker().pidfile)
    for daemon in (MariaDB(), Dovecot(), webmail.PhpFpm(), webmail.WebmailNginx()):
        os.kill(_pid_from(daemon.pidfile), signal.SIGKILL)
    time.sleep(6)  # the mail-store worker looks for work every 5 s and finds the database gone
    stack.up(log=lambda line: None)
    assert all(stack.status().values()), stack.status()
    stack.up(log=lambda line: None)  # and once more: nothing to do
    assert all(stack.status().values())
    mail.wait_until_postfix_accepts("back@example.org")  # and mail flows again
    assert _pid_from(MailStoreWorker().pidfile) == worker, "the worker outlives the database"
    job = services.mailbox_delete(actor=example.actor, mailbox=gone)
    for _ in range(60):
        job.refresh_from_db()
        if job.state != MailStoreJob.PENDING:
            break
        time.sleep(0.5)
    assert job.state == MailStoreJob.DONE, job.outcome


def test_rendered_files_keep_every_character_of_a_password(settings):
    """Django's template engine escapes HTML by default: a password with & or < would reach the
    daemons as &amp; or &lt;."""
    settings.SECRETS = settings.SECRETS | {"db_dovecot": "p&ss<w>rd", "db_roundcube": "a'b"}
    assert "password=p&ss<w>rd" in render("dovecot/dovecot-sql.conf.ext")
    assert "mysql://mailroundcube:a%27b@" in render("roundcube/config.inc.php")


def render_into(folder):
    call_command("mailstack", "render", "--profile", "production", "--output", str(folder))


@pytest.mark.parametrize("unsafe", ["writable by others", "writable by the group", "owned by another user",
                                    "a symbolic link"])
def test_render_refuses_a_folder_another_user_could_change_and_writes_nothing(tmp_path, unsafe):
    """Root copies what it renders into /etc: another local user must not be able to swap the
    files in between, so the folder must be the caller's and writable by nobody else."""
    folder = tmp_path / "out"
    folder.mkdir(mode=0o700)
    if unsafe == "writable by others":
        folder.chmod(0o1777)
    elif unsafe == "writable by the group":
        folder.chmod(0o770)
    elif unsafe == "owned by another user":
        os.chown(folder, 65534, 65534)
    else:
        os.rename(folder, tmp_path / "real")
        folder.symlink_to(tmp_path / "real")
    with pytest.raises(CommandError, match=re.escape(str(folder))):
        render_into(folder)
    assert not list(folder.iterdir())


def test_render_never_follows_a_symbolic_link_in_its_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("not to be touched\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "out"
    (folder / "postfix").mkdir(parents=True, mode=0o700)
    folder.chmod(0o700)
    (folder / "postfix" / "main.cf").symlink_to(outside)
    for name in TEMPLATES["postfix"]:  # every temporary name a writer might pick, too
        (folder / "postfix" / f".{name}.tmp").symlink_to(outside)
    render_into(folder)
    assert outside.read_text() == "not to be touched\n"
    main_cf = folder / "postfix" / "main.cf"
    assert not main_cf.is_symlink() and "queue_directory = /var/spool/postfix" in main_cf.read_text()

    (folder / "dovecot").rename(tmp_path / "dovecot-before")
    (folder / "dovecot").symlink_to(elsewhere)
    with pytest.raises(CommandError, match="symbolic link"):
        render_into(folder)
    assert not list(elsewhere.iterdir())


def test_render_creates_missing_folders_for_its_caller_only(tmp_path):
    folder = tmp_path / "new" / "config"
    render_into(folder)
    for created in (tmp_path / "new", folder, *(folder / daemon for daemon in TEMPLATES)):
        assert created.stat().st_mode & 0o777 == 0o700, created
        assert created.stat().st_uid == os.geteuid()
