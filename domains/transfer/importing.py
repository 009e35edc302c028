"""Importing a whole file of domains, mailboxes and aliases: one transaction, all or nothing.

Domains go through domain_create, mailboxes and aliases through the bulk services, in chunks
(for the progress shown to the user) inside the one transaction.  Every problem of every record
is collected with its line; if there is any, or on a dry run, nothing is kept.
"""
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from domains.addresses import domain_of, normalize_mailbox_address
from domains.audit import Actor, record_many
from domains.errors import BulkRejected
from domains.models import Domain, Mailbox, MailStoreJob
from domains.services.bulk import NewAlias, NewMailbox, aliases_create_many, mailboxes_create_many
from domains.services.domains import domain_create
from domains.services.mailbox_fields import canonical_folder, folder_key
from domains.transfer.formats import Record

CHUNK = 10_000
LOOKUP_CHUNK = 1000


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


def _folders_in_use(keys: set[str]) -> dict[str, str]:
    """Which of these folders (by folder_key) are a mailbox's maildir or default home already, or
    still the path of a pending mail-store job (or inside one, as a domain's is): why, per folder."""
    used = {}
    if not keys:
        return used
    for maildir, address in Mailbox.objects.filter(maildir__gt="").values_list("maildir", "email").iterator():
        if folder_key(maildir) in keys:
            used[folder_key(maildir)] = f"the mail folder of {address}"
    candidates = ["@".join(reversed(key.split("/"))) for key in keys if key.count("/") == 1]
    for start in range(0, len(candidates), LOOKUP_CHUNK):
        for address in Mailbox.objects.filter(email__in=candidates[start:start + LOOKUP_CHUNK]).values_list(
                "email", flat=True):
            local_part, domain = address.rsplit("@", 1)
            used.setdefault(folder_key(f"{domain}/{local_part}"), f"the mail folder of {address}")
    for path in MailStoreJob.objects.filter(state=MailStoreJob.PENDING).values_list("path", flat=True).iterator():
        job_key = folder_key(path)
        for key in keys:
            if key == job_key or key.startswith(job_key + "/"):
                used.setdefault(key, "still in use by a pending mail-store job")
    return used


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

    def _kept_folders(self, records: list[Record]) -> dict[int, str]:
        """The canonical maildir kept from the file, by line.  A folder that is another mailbox's
        (in the database or in the file) or a pending mail-store job's is refused."""
        homes, maildirs, refused = {}, {}, set()
        for record in records:
            try:
                local_part, domain = normalize_mailbox_address(record.address).split("@")
            except ValidationError:
                continue  # reported when the mailbox is created
            homes[folder_key(f"{domain}/{local_part}")] = (record.line, f"{local_part}@{domain}")
            if record.values.get("maildir"):
                try:
                    maildirs[record.line] = canonical_folder(record.values["maildir"], domain=domain)
                except ValidationError as error:
                    self.refuse(record.line, error)
                    refused.add(record.line)
        used = _folders_in_use({folder_key(maildir) for maildir in maildirs.values()})
        first: dict[str, int] = {}
        for line, maildir in sorted(maildirs.items()):
            key = folder_key(maildir)
            home_line, owner = homes.get(key, (line, ""))
            if key in used:
                reason = used[key]
            elif key in first:
                reason = f"also the maildir of line {first[key]}"
            elif home_line != line:
                reason = f"the mail folder of {owner} (line {home_line})"
            else:
                first[key] = line
                continue
            self.refuse(line, ValidationError(_("maildir %(maildir)s is %(reason)s."), code="maildir_in_use",
                                              params={"maildir": maildir, "reason": reason}))
            refused.add(line)
        return {line: maildir for line, maildir in maildirs.items() if line not in refused}

    def create_mailboxes(self, records: list[Record]):
        self._maildirs = self._kept_folders(records)
        kept = [record for record in records if record.line in self._maildirs or not record.values.get("maildir")]
        items = [NewMailbox(
            address=record.address, password=record.values.get("password"),
            password_hash=record.values.get("password_hash"), quota=record.values.get("quota"),
            display_name=record.values.get("display_name") or "", spam_threshold=record.values.get("spam_threshold"),
            active=True if record.values.get("active") is None else record.values["active"]) for record in kept]

        def create(chunk_records, chunk):
            created = mailboxes_create_many(actor=self.actor, domains=self.domains, mailboxes=chunk)
            self.summary.mailboxes += len(created)
            self._keep_folders(created, chunk_records)

        self._in_chunks("mailboxes", kept, items, create)

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


def _outside(records: Sequence[Record], domains: Collection[str]) -> tuple[list[Record], list[tuple[int, str]]]:
    """The records that stay within `domains` (canonical names), and a problem for each other
    one: a domain record (creating domains is a superadmin's) or another domain's mailbox or alias."""
    kept, problems = [], []
    for record in records:
        if record.kind == "domain":
            problems.append((record.line, _("Only a superadmin imports domains (%(domain)s).")
                             % {"domain": record.address}))
            continue
        try:
            domain = domain_of(record.address)
        except ValidationError:
            kept.append(record)  # the address itself is reported when the record is created
            continue
        if domain in domains:
            kept.append(record)
        else:
            problems.append((record.line, _("%(domain)s is not one of your domains.") % {"domain": domain}))
    return kept, problems


def import_records(*, actor: Actor, records: Sequence[Record], dry_run: bool = False, partial: bool = False,
                   problems: Sequence[tuple[int, str]] = (), domains: Collection[str] | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> ImportSummary:
    """Imports every record or none.  `problems` are those found while reading the file (their
    records left out); they are reported with the rest.  `domains`: the names of the only domains
    the records may be in (a domain admin's), None for any (and new domains).  Raises
    ImportRejected listing every problem by line; on a dry run, validates everything and keeps
    nothing.  With `partial`, keeps what is valid and still raises ImportRejected for the rest
    (`summary` says what was kept)."""
    if domains is not None:
        records, refused = _outside(records, domains)
        problems = [*problems, *refused]
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
