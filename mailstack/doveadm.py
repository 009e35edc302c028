"""The panel's calls to Dovecot's doveadm, run by the panel's own process: ending the sessions of
a changed mailbox, auth cache flushes, Sieve scripts of the self-service pages (reached through
domains/mailserver.py when MAILADMIN_MAIL_SERVER is `doveadm`, the default).

doveadm runs with the Dovecot configuration the daemons use: MAILADMIN_DOVECOT_CONFIG, by
default the bundled stack's.  It needs the rights Dovecot's own tools need (root, as the
bundled stack and `./mailctl run` have).
"""
import logging
import subprocess
from pathlib import Path

from django.conf import settings

from domains.mailserver import SIEVE_SCRIPT, MailServerError
from mailstack.config import paths

logger = logging.getLogger(__name__)


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


def flush_auth_cache(*users: str) -> None:
    """With Dovecot's auth cache on (MAILADMIN_DOVECOT_AUTH_CACHE), a changed password or
    threshold counts only after a flush (of these users' entries, else of all); the bundled
    stack runs without the cache."""
    if getattr(settings, "MAILADMIN_DOVECOT_AUTH_CACHE", False):
        try:
            doveadm("auth", "cache", "flush", *users)
        except DoveadmError:
            # The change itself is committed; Dovecot sees it when its cache entry expires.
            logger.exception("could not flush Dovecot's auth cache")


def end_sessions(user: str) -> None:
    """Ends the open IMAP, POP3 and ManageSieve sessions of `user` (an address, or a pattern
    such as `*@example.org`) and drops its auth cache entry: a mailbox suspended, deleted,
    renamed or given a new password keeps no session that logged in before."""
    try:
        doveadm("kick", user, ok_codes=(0, NOBODY_KICKED))
    except DoveadmError:
        # The change itself is committed and new logins are refused; the old sessions stay.
        logger.exception("could not end the Dovecot sessions of %s", user)
    flush_auth_cache(*([] if "*" in user else [user]))


def put_sieve_script(address: str, script: str) -> None:
    """Stores the mailbox's self-service script; Dovecot compiles it first (DoveadmError with its
    reason if it does not compile)."""
    doveadm("sieve", "put", "-u", address, SIEVE_SCRIPT, stdin=script.encode())
