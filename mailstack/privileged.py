"""MAILADMIN_MAIL_SERVER=sudo: a panel running as an unprivileged user (`mailadmin` in
production) reaches Dovecot for domains/mailserver.py through the root-owned helper
deploy/sudo/mailadmin-dovecot.py, run with `sudo -n` under the rule of deploy/sudo/mailadmin.sudoers.

The helper takes exactly three operations with checked arguments and runs doveadm with the
Dovecot configuration written into its installed copy; the panel chooses none of it.  A fourth,
postfix-rejects, hands /metrics Postfix's SMTP refusals from the journal, which the panel's user
cannot read (mailstack/postfix_rejections.py).
files_to_install() gives the helper and the sudo rule, rendered, as the production install
writes them.
"""
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine

from domains.mailserver import MailServerError

SUDO = "/usr/bin/sudo"
VISUDO = "/usr/sbin/visudo"
DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "sudo"
HELPER_SOURCE = DEPLOY / "mailadmin-dovecot.py"
SUDOERS_FILE = "/etc/sudoers.d/mailadmin"
NOBODY_KICKED = 68  # the helper passes on doveadm kick's exit code when the user had no session open


class HelperError(MailServerError):
    """sudo or the helper refused, or doveadm failed; str() is their message."""


def _helper(action: str, *arguments: str, stdin: bytes | None = None, ok_codes: tuple[int, ...] = (0,),
            timeout: float = 60) -> bytes:
    command = [SUDO, "-n", "--", settings.MAILADMIN_MAIL_SERVER_HELPER, action, *arguments]
    try:
        result = subprocess.run(command, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                                capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HelperError(f"the mail server's helper could not run: {error}") from error
    if result.returncode not in ok_codes:
        message = (result.stderr or result.stdout).decode(errors="replace").strip()
        raise HelperError(message or f"the mail server's helper failed at {action} (exit {result.returncode})")
    return result.stdout


def kick(user: str) -> None:
    """Ends the sessions of `user` (an address, or `*@domain`); none open is fine."""
    _helper("kick", user, ok_codes=(0, NOBODY_KICKED))


def flush_auth_cache(*users: str) -> None:
    """Drops these users' entries of Dovecot's auth cache, or all of them."""
    _helper("flush-auth-cache", *users)


def put_sieve_script(address: str, script: str) -> None:
    """Stores the mailbox's self-service script; Dovecot compiles it first."""
    _helper("sieve-put", address, stdin=script.encode())


def postfix_rejects(cursor: str | None = None, *, timeout: float = 5) -> tuple[str | None, list[str]]:
    """Postfix's refusal lines logged after the journal `cursor`, and the cursor to ask from next;
    without a cursor, none and the journal's end."""
    output = _helper("postfix-rejects", *([cursor] if cursor else []), timeout=timeout)
    try:
        answer = json.loads(output)
        return answer["cursor"], [str(line) for line in answer["lines"]]
    except (ValueError, KeyError, TypeError) as error:
        raise HelperError(f"the helper's answer to postfix-rejects is not understood: {error}") from error


# --- the files the production install writes ---------------------------------------------------

@dataclass(frozen=True)
class InstalledFile:
    """One file to install: its absolute path, content, mode and owner.  `check`, if given, is a
    command that must accept the written file (its path appended) before it takes effect."""

    path: str
    content: bytes
    mode: int
    owner: str = "root"
    group: str = "root"
    check: tuple[str, ...] = ()


_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_PATH = re.compile(r"(/[A-Za-z0-9._-]+)+")  # nothing sudoers or Python would read as more than a path
_CONFIG_LINE = re.compile(r"^DOVECOT_CONFIG = .*$", re.MULTILINE)


def files_to_install(*, user: str = "mailadmin", helper: str = "/usr/local/libexec/mailadmin/mailadmin-dovecot",
                     dovecot_config: str = "/etc/dovecot/dovecot.conf") -> list[InstalledFile]:
    """The helper (root-owned, 0755, in a folder only root may write to) and the sudo rule
    (/etc/sudoers.d/mailadmin, 0440), in the order to install them.  `helper` is also the panel's
    MAILADMIN_MAIL_SERVER_HELPER.  Raises ValueError for a value that cannot be written safely, or
    if `visudo -c` refuses the rendered rule."""
    if not _USER.fullmatch(user):
        raise ValueError(f"not a system user name: {user!r}")
    for path in (helper, dovecot_config):
        if not _PATH.fullmatch(path) or "/../" in path + "/" or "/./" in path + "/":
            raise ValueError(f"not a plain absolute path: {path!r}")
    source, count = _CONFIG_LINE.subn(f"DOVECOT_CONFIG = {dovecot_config!r}", HELPER_SOURCE.read_text())
    if count != 1:
        raise ValueError(f"{HELPER_SOURCE} does not have exactly one DOVECOT_CONFIG line")
    engine = Engine(dirs=[str(DEPLOY)], autoescape=False)
    rule = engine.get_template("mailadmin.sudoers").render(Context({"user": user, "helper": helper}))
    _check_sudoers(rule)
    return [InstalledFile(path=helper, content=source.encode(), mode=0o755),
            InstalledFile(path=SUDOERS_FILE, content=rule.encode(), mode=0o440, check=(VISUDO, "-cf"))]


def _check_sudoers(rule: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mailadmin")
        with open(path, "w") as file:
            file.write(rule)
        os.chmod(path, 0o440)
        result = subprocess.run([VISUDO, "-cf", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise ValueError(f"visudo refuses the rendered sudo rule: {(result.stderr or result.stdout).strip()}")
