"""Mailboxes at 90 % of their quota or more, kept by MariaDB's triggers on mailbox_usage (which
Dovecot's quota_clone writes) and virtual_users (quota, address), so that the first page lists
them through an index at any size instead of comparing every mailbox's usage with its quota.

The triggers read the other table by its unique key with plain (non-locking) reads and only
insert, update or delete this table's row of the address: they never fail or block a write.
A domain's rows go with it by their foreign key, like its totals (domains/totals.py).
"""
NEAR = "mailadmin_mailbox_near_quota"
PERCENT = 90

_IS_NEAR = f"{{quota}} > 0 AND {{used}} * 100 >= {{quota}} * {PERCENT}"
_KEEP = (f"INSERT INTO {NEAR} (username, domain_id, bytes, quota) VALUES ({{address}}, {{domain}}, {{used}}, {{quota}})"
         " ON DUPLICATE KEY UPDATE domain_id = VALUES(domain_id), bytes = VALUES(bytes), quota = VALUES(quota)")


def _usage_changed(drop_old: str) -> str:
    keep = _KEEP.format(address="NEW.username", domain="mailbox_domain", used="NEW.bytes", quota="mailbox_quota")
    return (f"BEGIN DECLARE mailbox_quota BIGINT; DECLARE mailbox_domain INT; {drop_old}"
            " SET mailbox_quota = (SELECT quota FROM virtual_users WHERE email = NEW.username);"
            " SET mailbox_domain = (SELECT domain_id FROM virtual_users WHERE email = NEW.username);"
            f" IF {_IS_NEAR.format(quota='mailbox_quota', used='NEW.bytes')} THEN {keep};"
            f" ELSE DELETE FROM {NEAR} WHERE username = NEW.username; END IF; END")




def _mailbox_changed(changed: str, drop_old: str) -> str:
    keep = _KEEP.format(address="NEW.email", domain="NEW.domain_id", used="used", quota="NEW.quota")
    return (f"BEGIN DECLARE used BIGINT; IF {changed} THEN {drop_old}"
            " SET used = (SELECT bytes FROM mailbox_usage WHERE username = NEW.email);"
            f" IF {_IS_NEAR.format(quota='NEW.quota', used='used')} THEN {keep}; END IF; END IF; END")


TRIGGERS = {
    "mailadmin_near_quota_usage_insert": ("AFTER INSERT ON mailbox_usage", _usage_changed("")),
    "mailadmin_near_quota_usage_update": ("AFTER UPDATE ON mailbox_usage", _usage_changed(
        f"IF NEW.username <> OLD.username THEN DELETE FROM {NEAR} WHERE username = OLD.username; END IF;")),
    "mailadmin_near_quota_usage_delete": ("AFTER DELETE ON mailbox_usage",
                                          f"DELETE FROM {NEAR} WHERE username = OLD.username"),
    # A new mailbox may find the usage of an earlier one of its address.
    "mailadmin_near_quota_mailbox_insert": ("AFTER INSERT ON virtual_users", _mailbox_changed("TRUE", "")),
    "mailadmin_near_quota_mailbox_update": ("AFTER UPDATE ON virtual_users", _mailbox_changed(
        "NEW.quota <> OLD.quota OR NEW.email <> OLD.email OR NEW.domain_id <> OLD.domain_id",
        f"DELETE FROM {NEAR} WHERE username = OLD.email;")),
    "mailadmin_near_quota_mailbox_delete": ("AFTER DELETE ON virtual_users",
                                            f"DELETE FROM {NEAR} WHERE username = OLD.email"),
}

_COUNTED = ("SELECT virtual_users.email, virtual_users.domain_id, mailbox_usage.bytes, virtual_users.quota"
            " FROM virtual_users JOIN mailbox_usage ON mailbox_usage.username = virtual_users.email WHERE "
            + _IS_NEAR.format(quota="virtual_users.quota", used="mailbox_usage.bytes"))


def check(cursor) -> list[str]:
    """The addresses listed wrongly, left out, or listed with figures that differ from the rows."""
    cursor.execute(_COUNTED)
    counted = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    cursor.execute(f"SELECT username, domain_id, bytes, quota FROM {NEAR}")
    kept = {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
    return sorted(address for address in counted.keys() | kept.keys() if counted.get(address) != kept.get(address))


def recount(cursor):
    """Rebuilds the list from the rows, the source tables locked for reading meanwhile (as
    totals.recount does)."""
    cursor.execute(f"LOCK TABLES {NEAR} WRITE, virtual_users READ, mailbox_usage READ")
    try:
        cursor.execute(f"DELETE FROM {NEAR}")
        cursor.execute(f"INSERT INTO {NEAR} (username, domain_id, bytes, quota) {_COUNTED}")
    finally:
        cursor.execute("UNLOCK TABLES")
