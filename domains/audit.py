"""Who made a change, and the audit row each service writes in the change's own transaction."""
from dataclasses import dataclass, field

from domains.models import AuditEntry


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
    return AuditEntry.objects.create(
        actor=actor.user, actor_label=actor.label[:255], source_ip=actor.ip, action=action,
        domain_id=domain.pk if domain else None, domain_name=domain.name if domain else "",
        object_repr=str(obj)[:255], before=before, after=after,
    )


def record_many(actor: Actor, action: str, changes) -> None:
    """One audit row per change of a batch, written with one INSERT per thousand rows;
    `changes` yields (object, domain, {"before": ..., "after": ...})."""
    AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor.user, actor_label=actor.label[:255], source_ip=actor.ip, action=action,
                   domain_id=domain.pk, domain_name=domain.name, object_repr=str(obj)[:255],
                   before=values.get("before"), after=values.get("after"))
        for obj, domain, values in changes], batch_size=1000)


def snapshot(instance, fields) -> dict:
    """The audited fields of a row, as JSON-ready values (never a password hash)."""
    values = {}
    for name in fields:
        value = getattr(instance, name)
        values[name] = value if isinstance(value, (bool, int, str, type(None))) else str(value)
    return values
