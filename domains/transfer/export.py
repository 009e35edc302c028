"""The records of an export: every domain, mailbox and alias, read in address order."""
from collections.abc import Iterator
from itertools import groupby

from domains.models import Alias, Domain, Mailbox
from domains.transfer.formats import DOMAIN_FIELDS, Record

MAILBOX_COLUMNS = ("email", "password", "quota", "active", "display_name", "spam_threshold", "maildir")
BATCH = 5000


def export_records(domain: Domain | None = None) -> Iterator[Record]:
    """Domains, then mailboxes (with their password hashes), then aliases, each by name; with
    `domain`, only its mailboxes and aliases (a file its admins may import again)."""
    mailboxes, aliases = Mailbox.objects.all(), Alias.objects.all()
    if domain is None:
        for row in Domain.objects.order_by("name").values("name", *DOMAIN_FIELDS).iterator(chunk_size=BATCH):
            yield Record(kind="domain", line=0, address=row.pop("name"), values=row)
    else:
        mailboxes, aliases = mailboxes.filter(domain=domain), aliases.filter(domain=domain)
    mailboxes = mailboxes.order_by("email").values_list(*MAILBOX_COLUMNS).iterator(chunk_size=BATCH)
    for email, password, quota, active, display_name, threshold, maildir in mailboxes:
        yield Record(kind="mailbox", line=0, address=email, values={
            "password_hash": password, "quota": quota, "active": active, "display_name": display_name,
            "spam_threshold": threshold, "maildir": maildir})
    rows = aliases.order_by("source", "destination").values_list("source", "destination")
    for source, pairs in groupby(rows.iterator(chunk_size=BATCH), key=lambda row: row[0]):
        yield Record(kind="alias", line=0, address=source, destinations=[destination for _, destination in pairs])
