"""Postfix's lookup cache (memcached, deploy/postfix/memcache-*.cf): the panel forgets what a
change makes stale, as soon as the change is committed.

Postfix keeps only found answers (an address, an alias's destinations, "DUNNO" for an active
mailbox, a domain), each for MAILADMIN_POSTFIX_LOOKUP_CACHE_TTL seconds.  A new address is never
cached as missing, so creating one needs nothing; changing or removing an address, an alias or a
mailbox's state must drop its keys, and a change to a whole domain (suspend, resume, delete)
drops everything.  If memcached cannot be reached the change itself stands: Postfix, which could
not reach it either, is asking MariaDB."""
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheError

from mailstack.config import CACHED_MAPS, lookup_cache_socket

logger = logging.getLogger(__name__)


def socket() -> str:
    return str(lookup_cache_socket())


def _keys(addresses: Iterable[str]) -> list[str]:
    # Postfix folds lookup keys to lower case; the key formats are those of memcache-*.cf.
    return [f"{map_name}:{address.lower()}" for address in addresses for map_name in CACHED_MAPS.values()]


def _run(what: str, action) -> bool:
    """True if memcached did it (or the cache is off)."""
    if not settings.MAILADMIN_POSTFIX_LOOKUP_CACHE:
        return True
    client = Client(socket(), connect_timeout=1, timeout=1)
    try:
        action(client)
        return True
    except (MemcacheError, OSError):
        logger.exception("could not %s Postfix's lookup cache", what)
        return False
    finally:
        client.close()


def forget_now(addresses: Iterable[str]) -> bool:
    keys = _keys(addresses)
    return _run("update", lambda client: client.delete_many(keys, noreply=False)) if keys else True


def flush_now() -> bool:
    return _run("flush", lambda client: client.flush_all(noreply=False))


def forget(addresses: Iterable[str]):
    """After the current transaction commits, Postfix asks MariaDB again about these addresses
    (mailboxes, or alias sources including a catch-all "@domain")."""
    addresses = list(addresses)
    transaction.on_commit(lambda: forget_now(addresses))


def forget_all():
    """After the current transaction commits, Postfix asks MariaDB again about everything."""
    transaction.on_commit(flush_now)
