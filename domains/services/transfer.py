"""Importing a whole file of domains, mailboxes and aliases: one transaction, all or nothing.

Domains go through domain_create, mailboxes and aliases through the bulk services, in chunks
(for the progress shown to the user) inside the one transaction.  Every problem of every record
is collected with its line; if there is any, or on a dry run, nothing is kept.
"""
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from domains.audit import Actor, record_many
from domains.errors import BulkRejected
from domains.models import Domain, Mailbox
from domains.services.bulk import NewAlias, NewMailbox, aliases_create_many, mailboxes_create_many
from domains.services.domains import domain_create
from domains.transfer.formats import Record

CHUNK = 10_000
_FOLDER = re.compile(r"[a-z0-9._~+-]+")


class ImportRejected(ValidationError):
    """Some records cannot be imported: `problems` lists (line, message), by line; `summary`
    what was imported all the same (nothing, unless the import was partial)."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__("%(count)d problems.", code="import_rejected", params={"count": len(problems)})
        self.problems = sorted(problems)
        self.summary = None


@dataclass
class ImportSummary:
    domains: int = 0
    mailboxes: int = 0
    aliases: int = 0


def _messages(error: ValidationError) -> list[str]:
    return list(error.messages)


def _check_maildir(address: str, maildir: str) -> str:
    """A mail folder kept from the file must be a folder of the mailbox's domain below the mail root."""
    domain = address.rsplit("@", 1)[-1].lower()
    folder = maildir.removeprefix(f"{domain}/")
    if folder == maildir or not _FOLDER.fullmatch(folder) or folder in (".", ".."):
        raise ValidationError("maildir must be a folder of the mailbox's domain: <domain>/<folder>.", code="maildir")
    return maildir


class _Import:
    def __init__(self, actor: Actor, progress: Callable[[str, int, int], None] | None):
        self.actor, self.progress = actor, progress or (lambda kind, done, total: None)
        self.problems: list[tuple[int, str]] = []
        self.summary = ImportSummary()
        self.domains = {domain.name: domain for domain in Domain.objects.all()}

    def refuse(self, line: int, error: ValidationError):
        self.problems.extend((line, message) for message in _messages(error))

    def create_domains(self, records: list[Record]):
        for done, record in enumerate(records, 1):
            settings = {name: value for name, value in record.values.items() if value is not None}
            try:
                domain = domain_create(actor=self.actor, name=record.address, **settings)
            except ValidationError as error:
                self.refuse(record.line, error)
            else:
                self.domains[domain.name] = domain
                self.summary.domains += 1
            self.progress("domains", done, len(records))

    def _in_chunks(self, kind: str, records: list[Record], items: list, create: Callable):
        for start in range(0, len(items), CHUNK):
            chunk_records, chunk = records[start:start + CHUNK], items[start:start + CHUNK]
            remaining = list(range(len(chunk)))
            # A rejected batch stops at its first kind of problem (e.g. before the loop check):
            # try again without the refused items until the rest passes, to report every problem.
            while remaining:
                try:
                    create([chunk_records[i] for i in remaining], [chunk[i] for i in remaining])
                    break
                except BulkRejected as rejected:
                    for index, errors in rejected.item_errors.items():
                        for error in errors:
                            self.refuse(chunk_records[remaining[index]].line, error)
                    refused = {remaining[index] for index in rejected.item_errors}
                    remaining = [i for i in remaining if i not in refused]
                except ValidationError as error:  # a race on the unique keys: the whole chunk
                    self.refuse(chunk_records[remaining[0]].line, error)
                    break
            self.progress(kind, min(start + CHUNK, len(items)), len(items))

    def create_mailboxes(self, records: list[Record]):
        items, kept = [], []
        for record in records:
            values = record.values
            try:
                maildir = _check_maildir(record.address, values["maildir"]) if values.get("maildir") else ""
            except ValidationError as error:
                self.refuse(record.line, error)
                continue
            kept.append((record, maildir))
            items.append(NewMailbox(
                address=record.address, password=values.get("password"), password_hash=values.get("password_hash"),
                quota=values.get("quota"), display_name=values.get("display_name") or "",
                spam_threshold=values.get("spam_threshold"),
                active=True if values.get("active") is None else values["active"]))

        def create(chunk_records, chunk):
            created = mailboxes_create_many(actor=self.actor, domains=self.domains, mailboxes=chunk)
            self.summary.mailboxes += len(created)
            self._keep_folders(created, chunk_records)

        self._maildirs = {record.line: maildir for record, maildir in kept if maildir}
        self._in_chunks("mailboxes", [record for record, _maildir in kept], items, create)

    def _keep_folders(self, created: Sequence[Mailbox], chunk_records: list[Record]):
        """Mailboxes whose mail is not in <domain>/<local part> (renamed ones) keep their folder."""
        moved = [(mailbox, self._maildirs[record.line]) for mailbox, record in zip(created, chunk_records, strict=True)
                 if record.line in self._maildirs]
        for mailbox, maildir in moved:
            Mailbox.objects.filter(pk=mailbox.pk).update(maildir=maildir)
        record_many(self.actor, "mailbox.update", [
            (mailbox, mailbox.domain, {"after": {"maildir": maildir}}) for mailbox, maildir in moved])

    def create_aliases(self, records: list[Record]):
        items = [NewAlias(source=record.address, destinations=record.destinations) for record in records]

        def create(chunk_records, chunk):
            aliases_create_many(actor=self.actor, domains=self.domains, aliases=chunk)
            self.summary.aliases += len(chunk)

        self._in_chunks("aliases", records, items, create)


def import_records(*, actor: Actor, records: Sequence[Record], dry_run: bool = False, partial: bool = False,
                   problems: Sequence[tuple[int, str]] = (),
                   progress: Callable[[str, int, int], None] | None = None) -> ImportSummary:
    """Imports every record or none.  `problems` are those found while reading the file (their
    records left out); they are reported with the rest.  Raises ImportRejected listing every
    problem by line; on a dry run, validates everything and keeps nothing.  With `partial`,
    keeps what is valid and still raises ImportRejected for the rest (`summary` says what was kept)."""
    with transaction.atomic():
        work = _Import(actor, progress)
        work.problems.extend(problems)
        for kind, step in (("domain", work.create_domains), ("mailbox", work.create_mailboxes),
                           ("alias", work.create_aliases)):
            step([record for record in records if record.kind == kind])
        if dry_run or (work.problems and not partial):
            transaction.set_rollback(True)
    if work.problems:
        rejected = ImportRejected(work.problems)
        rejected.summary = work.summary if partial and not dry_run else ImportSummary()
        raise rejected
    return work.summary
