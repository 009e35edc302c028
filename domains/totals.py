"""Per-domain totals kept by MariaDB itself: triggers on virtual_users, virtual_aliases and
mailbox_usage add and subtract as rows come and go, whoever writes them (the panel, Dovecot's
quota_clone, an administrator in SQL).  The domain list then reads one row per domain instead of
counting and summing a domain's mailboxes on every page.

The triggers only ever add to a row or update one: they never fail a write (signed arithmetic,
no lookups that can miss), so a mailbox can always be created or deleted.  Two things bypass
triggers: TRUNCATE and the cascade of a foreign key.  The cascade removes the whole domain's
totals row with the domain; after a TRUNCATE of a source table, `recount` rebuilds everything.
"""
from dataclasses import dataclass

TOTALS, STORAGE = "mailadmin_domain_totals", "mailadmin_domain_storage"

_ADD_MAILBOX = (f"INSERT INTO {TOTALS} (domain_id, mailboxes, aliases, quota_allocated)"
                " VALUES (NEW.domain_id, 1, 0, CAST(NEW.quota AS SIGNED))"
                " ON DUPLICATE KEY UPDATE mailboxes = mailboxes + 1,"
                " quota_allocated = quota_allocated + CAST(NEW.quota AS SIGNED)")
_REMOVE_MAILBOX = (f"UPDATE {TOTALS} SET mailboxes = mailboxes - 1,"
                   " quota_allocated = quota_allocated - CAST(OLD.quota AS SIGNED) WHERE domain_id = OLD.domain_id")
_ADD_ALIAS = (f"INSERT INTO {TOTALS} (domain_id, mailboxes, aliases, quota_allocated)"
              " VALUES (NEW.domain_id, 0, 1, 0) ON DUPLICATE KEY UPDATE aliases = aliases + 1")
_REMOVE_ALIAS = f"UPDATE {TOTALS} SET aliases = aliases - 1 WHERE domain_id = OLD.domain_id"
_NEW_DOMAIN, _OLD_DOMAIN = "SUBSTRING_INDEX(NEW.username, '@', -1)", "SUBSTRING_INDEX(OLD.username, '@', -1)"
_ADD_STORED = (f"INSERT INTO {STORAGE} (domain, bytes) VALUES ({_NEW_DOMAIN}, NEW.bytes)"
               " ON DUPLICATE KEY UPDATE bytes = bytes + NEW.bytes")
_REMOVE_STORED = f"UPDATE {STORAGE} SET bytes = bytes - OLD.bytes WHERE domain = {_OLD_DOMAIN}"

TRIGGERS = {
    "mailadmin_totals_mailbox_insert": ("AFTER INSERT ON virtual_users", _ADD_MAILBOX),
    "mailadmin_totals_mailbox_delete": ("AFTER DELETE ON virtual_users", _REMOVE_MAILBOX),
    "mailadmin_totals_mailbox_update": (
        "AFTER UPDATE ON virtual_users",
        f"BEGIN IF NEW.domain_id <> OLD.domain_id OR NEW.quota <> OLD.quota THEN"
        f" {_REMOVE_MAILBOX}; {_ADD_MAILBOX}; END IF; END"),
    "mailadmin_totals_alias_insert": ("AFTER INSERT ON virtual_aliases", _ADD_ALIAS),
    "mailadmin_totals_alias_delete": ("AFTER DELETE ON virtual_aliases", _REMOVE_ALIAS),
    "mailadmin_totals_alias_update": (
        "AFTER UPDATE ON virtual_aliases",
        f"BEGIN IF NEW.domain_id <> OLD.domain_id THEN {_REMOVE_ALIAS}; {_ADD_ALIAS}; END IF; END"),
    # Dovecot's quota_clone writes INSERT ... ON DUPLICATE KEY UPDATE: an insert the first time,
    # an update (only when the figures changed) after that.
    "mailadmin_storage_usage_insert": ("AFTER INSERT ON mailbox_usage", _ADD_STORED),
    "mailadmin_storage_usage_delete": ("AFTER DELETE ON mailbox_usage", _REMOVE_STORED),
    "mailadmin_storage_usage_update": (
        "AFTER UPDATE ON mailbox_usage",
        f"BEGIN IF {_NEW_DOMAIN} = {_OLD_DOMAIN} THEN"
        f" UPDATE {STORAGE} SET bytes = bytes + (NEW.bytes - OLD.bytes) WHERE domain = {_NEW_DOMAIN};"
        f" ELSE {_REMOVE_STORED}; {_ADD_STORED}; END IF; END"),
}

# What the totals must equal: the same figures counted from the rows themselves.
# (Each table is named once: LOCK TABLES, in recount, wants a lock per reference.)
_COUNTED_TOTALS = ("SELECT virtual_domains.id, COALESCE(users.mailboxes, 0), COALESCE(aliases.aliases, 0),"
                   " COALESCE(users.quota, 0) FROM virtual_domains"
                   " LEFT JOIN (SELECT domain_id, COUNT(*) AS mailboxes, SUM(quota) AS quota FROM virtual_users"
                   " GROUP BY domain_id) AS users ON users.domain_id = virtual_domains.id"
                   " LEFT JOIN (SELECT domain_id, COUNT(*) AS aliases FROM virtual_aliases"
                   " GROUP BY domain_id) AS aliases ON aliases.domain_id = virtual_domains.id")
_COUNTED_STORAGE = "SELECT domain, SUM(bytes) FROM mailbox_usage GROUP BY domain"


def trigger_blocker(cursor) -> str | None:
    """Why this account cannot create the triggers here, or None.  With a binary log (a primary
    that replicas follow), MariaDB lets only SUPER create triggers unless
    log_bin_trust_function_creators is on."""
    cursor.execute("SELECT @@log_bin, @@log_bin_trust_function_creators")
    log_bin, trusted = cursor.fetchone()
    if not log_bin or trusted:
        return None
    cursor.execute("SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'SUPER'"
                   " AND GRANTEE = CONCAT(\"'\", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), \"'@'\","
                   " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), \"'\")")
    if cursor.fetchone()[0]:
        return None
    return ("This server writes a binary log, and MariaDB then lets only accounts with SUPER create the"
            " triggers that keep per-domain totals. Set log_bin_trust_function_creators = 1 in the server's"
            " configuration (safe with binlog_format = ROW), or run migrate once as an account with SUPER.")


@dataclass
class Drift:
    domains: list[str]     # names whose mailbox, alias or quota totals were wrong
    storage: list[str]     # domain names whose stored bytes were wrong


def check(cursor) -> Drift:
    """The domains whose kept totals differ from the rows (nothing is changed)."""
    cursor.execute(_COUNTED_TOTALS)
    counted = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    cursor.execute(f"SELECT domain_id, mailboxes, aliases, quota_allocated FROM {TOTALS}")
    kept = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    cursor.execute("SELECT id, name FROM virtual_domains")
    names = dict(cursor.fetchall())
    domains = sorted(names[domain_id] for domain_id, figures in counted.items()
                     if figures != kept.get(domain_id, (0, 0, 0)))
    cursor.execute(_COUNTED_STORAGE)
    stored = {domain.lower(): total for domain, total in cursor.fetchall()}
    cursor.execute(f"SELECT domain, bytes FROM {STORAGE}")
    kept_bytes = {domain.lower(): total for domain, total in cursor.fetchall()}
    storage = sorted(name for name in stored.keys() | kept_bytes.keys()
                     if stored.get(name, 0) != kept_bytes.get(name, 0))
    return Drift(domains=domains, storage=storage)


def recount(cursor):
    """Rebuilds every total from the rows.  The source tables are locked for reading meanwhile
    (the daemons' lookups go on; writes wait), so no change slips between the count and the
    triggers that follow it.  Runs outside a transaction: LOCK TABLES commits."""
    cursor.execute(f"LOCK TABLES {TOTALS} WRITE, {STORAGE} WRITE, virtual_domains READ, virtual_users READ,"
                   " virtual_aliases READ, mailbox_usage READ")
    try:
        cursor.execute(f"DELETE FROM {TOTALS}")
        cursor.execute(f"INSERT INTO {TOTALS} (domain_id, mailboxes, aliases, quota_allocated) {_COUNTED_TOTALS}")
        cursor.execute(f"DELETE FROM {STORAGE}")
        cursor.execute(f"INSERT INTO {STORAGE} (domain, bytes) {_COUNTED_STORAGE}")
    finally:
        cursor.execute("UNLOCK TABLES")
