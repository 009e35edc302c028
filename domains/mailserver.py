"""What the panel asks of the mail server (Dovecot): end a mailbox's open sessions, drop Dovecot's
cached logins, store a mailbox's self-service Sieve script.  Every such call of the panel goes
through here.

MAILADMIN_MAIL_SERVER chooses how: `doveadm` (`mailstack.doveadm`) runs the system's `doveadm`
itself with MAILADMIN_DOVECOT_CONFIG, as the bundled stack's panel running as root does; `sudo`
(`mailstack.privileged`) has a root-owned helper run it through a narrow sudo rule, for a panel
running as an unprivileged user (docs/production.md).  Both have the same three functions,
`kick`, `flush_auth_cache` and `put_sieve_script`, each raising MailServerError; what a failure
means for the change that asked is decided here.  The domains app itself never imports either.
"""
import logging
from importlib import import_module

from django.conf import settings

logger = logging.getLogger(__name__)

IMPLEMENTATIONS = {"doveadm": "mailstack.doveadm", "sudo": "mailstack.privileged"}

# The name of the self-service script in each mailbox's Sieve storage; Dovecot runs it from
# `sieve_before2` (deploy/dovecot/dovecot.conf).  The sudo helper has it written in too.
SIEVE_SCRIPT = "mailadmin"


class MailServerError(RuntimeError):
    """The mail server refused or failed a request; str() says why, fit to be shown."""


def _implementation():
    return import_module(IMPLEMENTATIONS[settings.MAILADMIN_MAIL_SERVER])


def end_sessions(address: str) -> None:
    """Ends the open IMAP, POP3 and ManageSieve sessions of `address` (or of a pattern such as
    `*@example.org`) and drops its auth cache entry: a mailbox suspended, deleted, renamed or
    given a new password keeps no session that logged in before."""
    try:
        _implementation().kick(address)
    except MailServerError:
        # The change itself is committed and new logins are refused; the old sessions stay.
        logger.exception("could not end the Dovecot sessions of %s", address)
    _flush_auth_cache(*([] if "*" in address else [address]))


def flush_auth_cache() -> None:
    """Drops every entry of Dovecot's auth cache, if it keeps one."""
    _flush_auth_cache()


def _flush_auth_cache(*addresses: str) -> None:
    """With Dovecot's auth cache on (MAILADMIN_DOVECOT_AUTH_CACHE), a changed password or
    threshold counts only after a flush (of these addresses' entries, else of all); the bundled
    stack runs without the cache."""
    if not settings.MAILADMIN_DOVECOT_AUTH_CACHE:
        return
    try:
        _implementation().flush_auth_cache(*addresses)
    except MailServerError:
        # The change itself is committed; Dovecot sees it when its cache entry expires.
        logger.exception("could not flush Dovecot's auth cache")


def put_sieve_script(address: str, script: str) -> None:
    """Stores `script` as the mailbox's script SIEVE_SCRIPT; Dovecot compiles it first and raises
    MailServerError with its reason if it does not compile.  The user's active script stays active."""
    _implementation().put_sieve_script(address, script)
