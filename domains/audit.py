"""Who made a change, and the audit row each service writes in the change's own transaction."""
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from domains.models import AuditEntry

# Called with each change's new audit rows, inside its transaction: the webhooks' outbox
# (webhooks/outbox.py, registered by its app) derives the events of every change from them.
AFTER_RECORD: list[Callable[[Sequence[AuditEntry]], None]] = []


@dataclass(frozen=True)
class Actor:
    """The person or program behind a change: a panel user, an API key or a command."""

    label: str
    user: object = field(default=None, compare=False)
    ip: str | None = None
    via_api: bool = False  # an API key: a billing system, whose suspensions a domain admin does not undo

    @classmethod
    def command(cls, name: str) -> "Actor":
        return cls(label=f"command:{name}")

    @classmethod
    def for_user(cls, user, ip: str | None = None) -> "Actor":
        return cls(label=user.get_username(), user=user, ip=ip)


def record(actor: Actor, action: str, *, obj, domain, before=None, after=None) -> AuditEntry:
    """`domain`: the Domain the change concerns (None for admins and keys); the row keeps its id,
    so that a later domain of the same name never shows this row to its admins."""
    entry = AuditEntry.objects.create(
        actor=actor.user, actor_label=actor.label[:255], source_ip=actor.ip, action=action,
        domain_id=domain.pk if domain else None, domain_name=domain.name if domain else "",
        object_repr=str(obj)[:255], before=before, after=after,
    )
    _after_record([entry])
    return entry


def record_many(actor: Actor, action: str, changes) -> None:
    """One audit row per change of a batch, written with one INSERT per thousand rows;
    `changes` yields (object, domain, {"before": ..., "after": ...})."""
    entries = AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor.user, actor_label=actor.label[:255], source_ip=actor.ip, action=action,
                   domain_id=domain.pk, domain_name=domain.name, object_repr=str(obj)[:255],
                   before=values.get("before"), after=values.get("after"))
        for obj, domain, values in changes], batch_size=1000)
    _after_record(entries)


def _after_record(entries: Sequence[AuditEntry]) -> None:
    for listener in AFTER_RECORD:
        listener(entries)


def snapshot(instance, fields) -> dict:
    """The audited fields of a row, as JSON-ready values (never a password hash)."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        values[name] = value if isinstance(value, (bool, int, str, type(None))) else str(value)
    return values
