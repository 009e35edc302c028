"""MAILADMIN_MAIL_SERVER=doveadm (the default): the panel's own process runs Dovecot's doveadm
for domains/mailserver.py.

doveadm runs with the Dovecot configuration the daemons use: MAILADMIN_DOVECOT_CONFIG, by
default the bundled stack's.  It needs the rights Dovecot's own tools need (root, as the
bundled stack and `./mailctl run` have); a panel running as an unprivileged user uses
mailstack/privileged.py instead.
"""
import subprocess
from pathlib import Path

from django.conf import settings

from domains.mailserver import SIEVE_SCRIPT, MailServerError
from mailstack.config import paths


class DoveadmError(MailServerError):
    """doveadm refused or failed; str() is its message."""


NOBODY_KICKED = 68  # doveadm kick's exit code (EX_NOUSER) when the user had no session open


def config_path() -> Path:
    configured = getattr(settings, "MAILADMIN_DOVECOT_CONFIG", "")
    return Path(configured) if configured else paths().dovecot_config / "dovecot.conf"


def doveadm(*arguments: str, stdin: bytes | None = None, ok_codes: tuple[int, ...] = (0,)) -> str:
    command = ["doveadm", "-c", str(config_path()), *arguments]
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DoveadmError(f"doveadm could not run: {error}") from error
    if result.returncode not in ok_codes:
        message = (result.stderr or result.stdout).decode(errors="replace").strip()
        raise DoveadmError(message or f"doveadm {arguments[0]} failed (exit {result.returncode})")
    return result.stdout.decode(errors="replace")


def kick(user: str) -> None:
    """Ends the sessions of `user` (an address, or a pattern such as `*@example.org`); none open is fine."""
    doveadm("kick", user, ok_codes=(0, NOBODY_KICKED))


def flush_auth_cache(*users: str) -> None:
    """Drops these users' entries of Dovecot's auth cache, or all of them."""
    doveadm("auth", "cache", "flush", *users)


def put_sieve_script(address: str, script: str) -> None:
    """Stores the mailbox's self-service script; Dovecot compiles it first."""
    doveadm("sieve", "put", "-u", address, SIEVE_SCRIPT, stdin=script.encode())
