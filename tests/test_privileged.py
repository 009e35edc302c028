"""The panel running as an unprivileged user (MAILADMIN_MAIL_SERVER=sudo) reaches Dovecot only
through the root-owned helper and its sudo rule, as files_to_install() renders them.

Each test runs the panel's side as the user `nobody` in a mount namespace of its own, in which
/etc/sudoers.d is a folder holding only the rendered rule (for `nobody`), so the machine's own
sudoers stay untouched; the helper runs doveadm with the test stack's Dovecot configuration."""
import imaplib
import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from domains.mailserver import SIEVE_SCRIPT
from domains.models import Mailbox
from domains.passwords import hash_password
from mailstack import privileged
from mailstack.doveadm import config_path
from mailstack.production import services
from selfservice import sieve
from selfservice.models import MailboxRules
from tests import mail
from tests.conftest import PASSWORD
from tests.mail import ended
from tests.selfservice.conftest import signed_in

pytestmark = pytest.mark.stack

BASE_DIR = Path(settings.BASE_DIR)
NEW_PASSWORD = "a fresh passphrase 2026"
NOBODY_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"}
# The panel's side, as `nobody`: MAILADMIN_MAIL_SERVER=sudo, then one call of domains.mailserver
# (the services' path) or of the implementation itself (whose errors mailserver logs and swallows).
PANEL = """
import json, logging, sys
from django.conf import settings
settings.configure(MAILADMIN_MAIL_SERVER="sudo", MAILADMIN_MAIL_SERVER_HELPER=sys.argv[1],
                   MAILADMIN_DOVECOT_AUTH_CACHE=True)
logging.basicConfig()
from domains import mailserver
from mailstack import privileged
module, function, *arguments = sys.argv[2:]
if function == "put_sieve_script":
    arguments.append(sys.stdin.read())
try:
    result = getattr(mailserver if module == "mailserver" else privileged, function)(*arguments)
except mailserver.MailServerError as error:
    sys.exit(f"MailServerError: {error}")
if result is not None:
    print(json.dumps(result))
"""


class Rule:
    """The helper and the sudo rule for `nobody`, written as the install writes them (owned by
    root, the rule 0440) into a folder of their own."""

    def __init__(self, folder: Path):
        folder.chmod(0o755)  # nobody must reach the helper's path; only root may write here
        self.helper = folder / "mailadmin-dovecot"
        self.sudoers_d = folder / "sudoers.d"
        self.sudoers_d.mkdir(mode=0o755)
        self.files = privileged.files_to_install(user="nobody", helper=str(self.helper),
                                                 dovecot_config=str(config_path()))
        helper, rule = self.files
        self.helper.write_bytes(helper.content)
        self.helper.chmod(helper.mode)
        self.sudoers = self.sudoers_d / "mailadmin"
        self.sudoers.write_bytes(rule.content)
        self.sudoers.chmod(rule.mode)

    def as_nobody(self, *command: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        """Runs `command` as nobody where /etc/sudoers.d holds only this rule (and /run is empty, so
        that sudo's records of the calls stay in the namespace too)."""
        script = ('mount --bind "$0" /etc/sudoers.d && mount -t tmpfs -o mode=755 tmpfs /run && '
                  'exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"')
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script,
                               str(self.sudoers_d), *command], input=stdin, capture_output=True, timeout=60,
                              cwd=BASE_DIR, env=NOBODY_ENVIRONMENT)

    def panel(self, module: str, function: str, *arguments: str, stdin: bytes | None = None):
        return self.as_nobody(sys.executable, "-c", PANEL, str(self.helper), module, function, *arguments,
                              stdin=stdin)

    def sudo(self, *arguments: str, stdin: bytes | None = None):
        """`sudo -n` as nobody: the helper's arguments, or any other command line."""
        return self.as_nobody("/usr/bin/sudo", "-n", *arguments, stdin=stdin)


@pytest.fixture(scope="module")
def rule(tmp_path_factory):
    return Rule(tmp_path_factory.mktemp("privileged"))


@pytest.fixture
def mailboxes(mail_domain):
    """pat and sam at example.org, kim at other.example, each with an open IMAP session."""
    example, other = mail_domain("example.org"), mail_domain("other.example")
    for domain, local_part in ((example, "pat"), (example, "sam"), (other, "kim")):
        domain.mailbox(local_part)
    sessions = {address: mail.imap(address, PASSWORD) for address in
                ("pat@example.org", "sam@example.org", "kim@other.example")}
    for session in sessions.values():
        assert session.select("INBOX")[0] == "OK"
    return sessions


def still_open(*sessions) -> bool:
    """Whether the sessions are all open half a second on (kicked sessions end within moments)."""
    time.sleep(0.5)
    try:
        for session in sessions:
            session.noop()
    except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError, EOFError):
        return False
    return True


def test_the_user_nobody_cannot_read_the_stacks_dovecot_secrets(rule):
    """The premise: without the helper, nobody could not do what the panel asks."""
    assert rule.as_nobody("cat", str(config_path().parent / "dovecot-sql.conf.ext")).returncode != 0
    assert rule.as_nobody("/usr/bin/doveadm", "-c", str(config_path()), "kick", "pat@example.org").returncode != 0


def test_the_rendered_rule_passes_visudo(rule):
    result = subprocess.run(["visudo", "-cf", str(rule.sudoers)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert rule.files[1].check == ("/usr/sbin/visudo", "-cf") and rule.files[1].path == "/etc/sudoers.d/mailadmin"
    assert "nobody ALL=(root) NOPASSWD: MAILADMIN_DOVECOT, MAILADMIN_POSTFIX_LOG" in rule.sudoers.read_text()


def test_a_password_change_kicks_the_open_imap_session_through_the_helper(rule, mailboxes):
    result = rule.panel("mailserver", "end_sessions", "pat@example.org")

    assert result.returncode == 0 and result.stderr == b"", result.stderr  # nothing logged: kick and flush ran
    assert ended(mailboxes["pat@example.org"].noop)
    assert still_open(mailboxes["sam@example.org"], mailboxes["kim@other.example"])


def test_a_suspended_domain_kicks_all_its_sessions_and_no_other(rule, mailboxes):
    result = rule.panel("mailserver", "end_sessions", "*@example.org")

    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert ended(mailboxes["pat@example.org"].noop) and ended(mailboxes["sam@example.org"].noop)
    assert still_open(mailboxes["kim@other.example"])


def test_a_new_password_counts_at_once_with_dovecots_auth_cache(rule, mail_domain, empty_auth_cache):
    mailbox = mail_domain("example.org").mailbox("pat")
    assert mail.imap_login_works("pat@example.org", PASSWORD)  # Dovecot's cache now holds the login
    Mailbox.objects.filter(pk=mailbox.pk).update(password=hash_password(NEW_PASSWORD))  # the change's row
    assert mail.imap_login_works("pat@example.org", PASSWORD)  # still the cached one

    result = rule.panel("mailserver", "end_sessions", "pat@example.org")  # what the change asks after its commit

    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert not mail.imap_login_works("pat@example.org", PASSWORD)
    assert mail.imap_login_works("pat@example.org", NEW_PASSWORD)


def test_a_mailbox_whose_name_starts_with_a_hyphen_is_kicked_like_any_other(rule, mailboxes, mail_domain):
    """The panel allows `-pat` as a local part; the helper passes it after `--`, never as an option."""
    mail_domain("hyphen.example").mailbox("-pat")
    session = mail.imap("-pat@hyphen.example", PASSWORD)
    assert session.select("INBOX")[0] == "OK"

    result = rule.panel("mailserver", "end_sessions", "-pat@hyphen.example")

    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert ended(session.noop)
    assert still_open(*mailboxes.values())


def test_addresses_with_utf8_local_parts_and_idn_domains_are_accepted(rule):
    for function in ("kick", "flush_auth_cache"):
        result = rule.panel("privileged", function, "josé@xn--bcher-kva.example")
        assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("arguments", [
    ["kick", "*"],  # every user
    ["kick", "*@*"],
    ["kick", "p*@example.org"],
    ["kick", "?at@example.org"],
    ["kick", "*@example.org", "pat@example.org"],  # extra arguments
    ["kick", "pat@example.org", "-c", "/tmp/dovecot.conf"],
    ["kick", "-a", "/tmp/anvil", "pat@example.org"],  # option-looking arguments
    ["kick", "127.0.0.1"],  # doveadm kick also takes IP addresses
    ["kick", "pat@example.org\nsam@example.org"],
    ["kick", "pat@example.org,sam@example.org"],
    ["flush-auth-cache", "--help"],
    ["flush-auth-cache", "*@example.org"],
])
def test_the_helper_refuses_bad_arguments_and_runs_nothing(rule, mailboxes, arguments):
    result = rule.sudo(str(rule.helper), *arguments)

    assert result.returncode == 64 and result.stderr.startswith(b"mailadmin-dovecot: "), result.stderr
    assert still_open(*mailboxes.values())


@pytest.mark.parametrize("arguments", [
    ["sieve-get", "pat@example.org"],  # operations other than the three
    ["auth", "cache", "flush"],
    ["kick"],
    ["-c", "/tmp/dovecot.conf", "kick", "pat@example.org"],
])
def test_sudo_refuses_other_helper_calls(rule, mailboxes, arguments):
    result = rule.sudo(str(rule.helper), *arguments)

    assert result.returncode == 1 and b"a password is required" in result.stderr, result.stderr
    assert still_open(*mailboxes.values())


def test_nobody_cannot_run_doveadm_or_anything_else_through_sudo(rule, mailboxes):
    for command in (["/usr/bin/doveadm", "-c", str(config_path()), "kick", "pat@example.org"],
                    ["doveadm", "kick", "pat@example.org"], ["/bin/sh", "-c", "id"],
                    ["/usr/bin/python3", "-I", str(rule.helper), "kick", "pat@example.org"]):
        result = rule.sudo(*command)
        assert result.returncode == 1 and b"a password is required" in result.stderr, command
    assert still_open(mailboxes["pat@example.org"])


CURSOR = "s=0123456789abcdef0123456789abcdef;i=1a2;b=fedcba9876543210fedcba9876543210;m=3f;t=5e1;x=9c"


def test_the_panel_asks_for_postfixs_refusals_through_the_helper(rule):
    """This machine's journal holds no entry: the end is no cursor; a cursor given comes back."""
    for arguments, answer in (((), [None, []]), ((CURSOR,), [CURSOR, []])):
        result = rule.panel("privileged", "postfix_rejects", *arguments)
        assert result.returncode == 0 and json.loads(result.stdout) == answer, result.stderr


def test_postfix_rejects_takes_one_journal_cursor_and_nothing_else(rule):
    for arguments in (["--since=2000-01-01"], ["--directory=/tmp"], [CURSOR, "--merge"], [CURSOR + "\n"],
                      [CURSOR.replace(";x=", ";x=-")], ["_SYSTEMD_UNIT=ssh.service"], [""]):
        result = rule.sudo(str(rule.helper), "postfix-rejects", *arguments)
        assert result.returncode == 64 and result.stderr.startswith(b"mailadmin-dovecot: "), (arguments, result.stderr)
        assert result.stdout == b""


def journal_entry(number: int, message) -> bytes:
    """One entry as `journalctl --output=json --output-fields=MESSAGE` prints it."""
    cursor = CURSOR.replace("i=1a2", f"i={number:x}")
    return json.dumps({"__CURSOR": cursor, "__REALTIME_TIMESTAMP": "1764470000000000", "_BOOT_ID": "0" * 32,
                       "MESSAGE": message}).encode() + b"\n"


def test_the_helper_hands_over_only_the_refusals_and_reads_a_bounded_number_of_entries():
    helper = helper_module()
    assert helper.POSTFIX_UNIT == "postfix@-.service" == next(
        service.unit for service in services.SERVICES if service.unit.startswith("postfix"))
    refusal = ("NOQUEUE: reject: RCPT from remote.example.com[198.51.100.2]: 550 5.1.1 <nobody@example.org>: "
               "Recipient address rejected: User unknown in virtual mailbox table; from=<bob@example.com> "
               "to=<nobody@example.org> proto=ESMTP helo=<remote.example.com>")
    milter = "4F2B1C0A3: milter-reject: END-OF-MESSAGE from h[192.0.2.9]: 5.7.1 Blocked by SpamAssassin; from=<a@b.c>"
    entries = [journal_entry(1, "connect from remote.example.com[198.51.100.2]"), journal_entry(2, refusal),
               journal_entry(3, list("reject: caf\xe9".encode("latin-1"))),  # not UTF-8: a list of octets
               journal_entry(4, milter), journal_entry(5, "disconnect from remote.example.com[198.51.100.2]")]

    found, complete = helper.rejects(entries, CURSOR)

    assert complete and found == {"cursor": CURSOR.replace("i=1a2", "i=5"),
                                  "lines": [refusal, "reject: caf\ufffd", milter]}
    assert helper.rejects([], CURSOR) == ({"cursor": CURSOR, "lines": []}, True)
    many = [journal_entry(number, refusal) for number in range(1, helper.MAX_JOURNAL_ENTRIES + 2)]
    found, complete = helper.rejects(many, CURSOR)
    assert not complete and len(found["lines"]) == helper.MAX_JOURNAL_ENTRIES
    assert found["cursor"] == CURSOR.replace("i=1a2", f"i={helper.MAX_JOURNAL_ENTRIES:x}")  # the next call goes on
    found, complete = helper.rejects(many, CURSOR, deadline=time.monotonic())  # the time is up at once
    assert not complete and found == {"cursor": CURSOR, "lines": []}


@pytest.fixture
def owner(mail_domain):
    return mail_domain("self.example").mailbox(f"u{uuid.uuid4().hex[:10]}")


def helper_module():
    """The helper's source as a module, for its constants (it runs nothing when imported)."""
    spec = importlib.util.spec_from_file_location("mailadmin_dovecot", privileged.HELPER_SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_helper_stores_the_script_the_dovecot_configuration_runs():
    assert helper_module().SIEVE_SCRIPT == SIEVE_SCRIPT
    assert f"file:~/sieve/{SIEVE_SCRIPT}.sieve" in (config_path()).read_text()


def sieve_script(address) -> str:
    output = subprocess.run(["doveadm", "-c", str(config_path()), "sieve", "get", "-u", address, SIEVE_SCRIPT],
                            capture_output=True, check=True, text=True).stdout
    return output.removeprefix("sieve script:\n")


def test_a_sieve_script_put_through_the_helper_is_the_one_dovecot_runs(rule, owner, relay_sink):
    script = sieve.render(MailboxRules(forward_to=["far@remote.test"], forward_keep_copy=True))

    result = rule.panel("mailserver", "put_sieve_script", owner.email, stdin=script.encode())

    assert result.returncode == 0, result.stderr
    assert sieve_script(owner.email).replace("\r\n", "\n") == script
    sent = mail.message(owner.email)
    mail.send(sent)
    assert relay_sink.wait_for(sent["Subject"]).rcpt_tos == ["far@remote.test"]
    mail.wait_for(owner.email, PASSWORD, sent["Subject"])


def test_the_panels_longest_script_is_taken_a_huge_or_broken_one_refused_and_the_previous_one_stays(rule, owner):
    kept = sieve.render(MailboxRules(forward_to=["kept@remote.test"], forward_keep_copy=True))
    assert rule.panel("mailserver", "put_sieve_script", owner.email, stdin=kept.encode()).returncode == 0

    longest = sieve.render(MailboxRules(vacation_active=True, vacation_days=1, vacation_subject="\U0001F600" * 200,
                                        vacation_text="\U0001F600" * 5000))  # the forms' longest texts
    assert rule.panel("mailserver", "put_sieve_script", owner.email, stdin=longest.encode()).returncode == 0
    assert rule.panel("mailserver", "put_sieve_script", owner.email, stdin=kept.encode()).returncode == 0

    huge = kept + "#" * helper_module().MAX_SCRIPT_OCTETS + "\n"
    result = rule.panel("mailserver", "put_sieve_script", owner.email, stdin=huge.encode())
    assert result.returncode != 0 and b"MailServerError: mailadmin-dovecot: the script is larger than" in result.stderr

    broken = rule.panel("mailserver", "put_sieve_script", owner.email, stdin=b'redirect "a@remote.test"\n')
    assert broken.returncode != 0 and b"MailServerError:" in broken.stderr

    assert "kept@remote.test" in sieve_script(owner.email)


def test_sieve_put_takes_one_address_and_no_option(rule, owner):
    for arguments in (["-u", owner.email], [owner.email, "other"], [f"{owner.email},x@self.example"], ["*"]):
        result = rule.sudo(str(rule.helper), "sieve-put", *arguments, stdin=b"keep;\n")
        assert result.returncode == 64, (arguments, result.stderr)
    listing = subprocess.run(["doveadm", "-c", str(config_path()), "sieve", "list", "-u", owner.email],
                             capture_output=True, text=True).stdout
    assert SIEVE_SCRIPT not in listing


@pytest.mark.parametrize("values", [
    {"user": "nobody ALL=(ALL) ALL\n#"},
    {"user": "mail admin"},
    {"helper": "/usr/local/libexec/mailadmin/mailadmin-dovecot, /bin/sh"},
    {"helper": "relative/mailadmin-dovecot"},
    {"helper": "/usr/local/libexec/../../bin/sh"},
    {"dovecot_config": "/etc/dovecot/dovecot.conf\" + __import__('os').system('id') + \""},
    {"dovecot_config": "/etc/dovecot/dove cot.conf"},
])
def test_values_that_cannot_be_written_safely_are_refused(values):
    with pytest.raises(ValueError):
        privileged.files_to_install(**values)


def test_the_owners_pages_work_through_the_helper(client, owner, rule, settings):
    settings.MAILADMIN_MAIL_SERVER, settings.MAILADMIN_MAIL_SERVER_HELPER = "sudo", str(rule.helper)
    signed_in(client, owner)

    response = client.post("/me/forwarding/", {"forward_to": "far@remote.test", "forward_keep_copy": "on"})

    assert response.status_code == 302
    assert 'redirect :copy "far@remote.test";' in sieve_script(owner.email)


def test_the_owners_page_says_when_the_mail_server_did_not_take_the_rules(client, owner, settings):
    settings.MAILADMIN_MAIL_SERVER, settings.MAILADMIN_MAIL_SERVER_HELPER = "sudo", "/nonexistent/mailadmin-dovecot"
    signed_in(client, owner)

    response = client.post("/me/forwarding/", {"forward_to": "far@remote.test", "forward_keep_copy": "on"})

    assert response.status_code == 200
    assert "Saved, but the mail server did not take the rules yet" in response.content.decode()
    assert MailboxRules.objects.get(mailbox=owner).forward_to == ["far@remote.test"]


def deploy_check_errors():
    """What `manage.py check --deploy` reports of the helper."""
    from django.core.checks import registry

    from mailstack.checks import check_mail_server_helper

    assert check_mail_server_helper in registry.registry.get_checks(include_deployment_checks=True)
    return [message.msg for message in check_mail_server_helper() if message.id == "mailstack.E001"]


def test_the_deploy_check_accepts_the_helper_as_installed(rule, settings):
    settings.MAILADMIN_MAIL_SERVER, settings.MAILADMIN_MAIL_SERVER_HELPER = "sudo", str(rule.helper)
    assert deploy_check_errors() == []


@pytest.mark.parametrize("problem", ["missing", "writable by others", "owned by nobody", "in nobody's folder"])
def test_the_deploy_check_reports_a_helper_another_user_could_change(tmp_path, settings, problem):
    folder = tmp_path / "libexec"
    folder.mkdir(mode=0o755)
    tmp_path.chmod(0o755)
    helper = folder / "mailadmin-dovecot"
    helper.write_bytes(privileged.HELPER_SOURCE.read_bytes())
    helper.chmod(0o755)
    if problem == "missing":
        helper.unlink()
    elif problem == "writable by others":
        helper.chmod(0o757)
    elif problem == "owned by nobody":
        os.chown(helper, 65534, 65534)
    else:
        os.chown(folder, 65534, 65534)
    settings.MAILADMIN_MAIL_SERVER, settings.MAILADMIN_MAIL_SERVER_HELPER = "sudo", str(helper)

    [error] = deploy_check_errors()

    assert str(helper) in error and "not safe to run as root" in error
    settings.MAILADMIN_MAIL_SERVER = "doveadm"
    assert deploy_check_errors() == []
