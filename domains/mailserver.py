"""What the services ask of the mail server once a change is committed: end a mailbox's open
sessions and drop Dovecot's cached logins.

MAILADMIN_MAIL_SERVER names the module that does it: any module with these two functions.  The
one shipped, `mailstack.doveadm`, runs the system's `doveadm` with MAILADMIN_DOVECOT_CONFIG, so it
serves a production Dovecot (its /etc/dovecot/dovecot.conf) and the bundled stack (the default)
alike; the domains app itself never imports the bundled stack.
"""
from importlib import import_module

from django.conf import settings


def _implementation():
    return import_module(settings.MAILADMIN_MAIL_SERVER)


def end_sessions(address: str) -> None:
    """Ends the open IMAP, POP3 and ManageSieve sessions of `address` (or of a pattern such as
    `*@example.org`) and drops its auth cache entry."""
    _implementation().end_sessions(address)


def flush_auth_cache() -> None:
    """Drops every entry of Dovecot's auth cache, if it keeps one."""
    _implementation().flush_auth_cache()
