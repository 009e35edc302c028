"""Import: mailboxes per second through the bulk service `mailboxes_create_many` (validation,
limits, one transaction, an audit row per mailbox), with pre-hashed passwords, into a new domain."""
import secrets
import time

from domains import services
from domains.audit import Actor
from domains.models import Domain
from domains.passwords import hash_password

from .stats import summary

SIZE = 10_000


def measure_import(*, repeat: int, run: str, log) -> dict:
    create_many = getattr(services, "mailboxes_create_many", None)
    if create_many is None:
        return {"available": False, "size": SIZE}
    from domains.services.bulk import NewMailbox

    pre_hashed = hash_password(secrets.token_urlsafe(16))
    actor = Actor.command("bench")
    seconds = []
    for attempt in range(repeat):
        domain = Domain.objects.create(name=f"import-{run}-{attempt}.example")
        items = [NewMailbox(address=f"m{number:05d}@{domain.name}", password_hash=pre_hashed) for number in range(SIZE)]
        started = time.perf_counter()
        created = create_many(actor=actor, domains={domain.name: domain}, mailboxes=items)
        seconds.append(time.perf_counter() - started)
        if len(created) != SIZE:
            return {"available": True, "size": SIZE, "error": f"{len(created)} created, not {SIZE}"}
        log(f"  import of {SIZE:,} mailboxes: {seconds[-1]:.1f} s, {SIZE / seconds[-1]:,.0f} mailboxes/s")
    return {"available": True, "size": SIZE, "seconds": summary(seconds),
            "per_second": summary([SIZE / value for value in seconds])}
