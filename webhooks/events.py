"""The event types, and the events an audit row reports.

Every change is audited by its service (domains/audit.py) in the change's own transaction, so
deriving events from audit rows covers every path alike: the panel, the API, imports, the
owners' pages and management commands."""
from dataclasses import dataclass

from domains.models import AuditEntry

EVENT_TYPES = (
    "domain.created", "domain.suspended", "domain.resumed", "domain.deleted",
    "mailbox.created", "mailbox.suspended", "mailbox.resumed", "mailbox.deleted", "mailbox.renamed",
    "mailbox.password_changed",
    # Not from audit rows: from the mailbox's storage crossing 80% / 100% of its quota (webhooks/quota.py).
    "mailbox.quota_warning", "mailbox.over_quota",
    "alias.created", "alias.updated", "alias.deleted",
)
# Audit action -> event type, for the actions that are an event whatever they changed.
SIMPLE = {
    "domain.create": "domain.created", "domain.delete": "domain.deleted",
    "mailbox.create": "mailbox.created", "mailbox.delete": "mailbox.deleted", "mailbox.rename": "mailbox.renamed",
    "mailbox.set_password": "mailbox.password_changed",
    "alias.create": "alias.created", "alias.update": "alias.updated", "alias.delete": "alias.deleted",
}
# Audit actions that are an event only when `active` changed: a suspension or a resumption.
SUSPENSIONS = {"domain.update": "domain", "mailbox.update": "mailbox"}


@dataclass(frozen=True)
class Event:
    type: str
    domain_id: int | None
    data: dict


def event_of(entry: AuditEntry) -> Event | None:
    """The event `entry` reports, or None (e.g. a quota change, an admin's change)."""
    kind = entry.action.partition(".")[0]
    if entry.action in SIMPLE:
        event_type = SIMPLE[entry.action]
    elif entry.action in SUSPENSIONS:
        before, after = entry.before or {}, entry.after or {}
        if "active" not in before or "active" not in after or before["active"] == after["active"]:
            return None
        event_type = f"{kind}.{'resumed' if after['active'] else 'suspended'}"
    else:
        return None
    data = {"domain": entry.domain_name}
    if kind != "domain":
        data[kind] = entry.object_repr
    data.update(before=entry.before, after=entry.after)
    return Event(event_type, entry.domain_id, data)

