"""Imports domains, mailboxes (plain passwords or {SCHEME} hashes) and aliases from CSV or JSON.

    manage.py import mail.csv --dry-run      # check everything, report every problem by line
    manage.py import mail.json               # all or nothing
    manage.py import mail.json --partial     # the valid records; the others reported

The file layout is described in domains/transfer/formats.py and the README ("Import and export").
"""
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from domains.audit import Actor
from domains.transfer.formats import FileError, read_file
from domains.transfer.importing import ImportRejected, import_records


class Progress:
    """A one-line progress bar on the terminal (nothing when the output is not a terminal)."""

    def __init__(self, stream, enabled: bool):
        self.stream, self.enabled, self.shown = stream, enabled, 0.0

    def __call__(self, what: str, done: int, total: int):
        now = time.monotonic()
        if not self.enabled or (done < total and now - self.shown < 0.2):
            return
        self.shown = now
        filled = int(30 * done / total) if total else 30
        self.stream.write(f"\r{what:<10} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Imports domains, mailboxes and aliases from a CSV or JSON file, all or nothing."

    @staticmethod
    def counts(summary) -> str:
        return f"{summary.domains} domains, {summary.mailboxes} mailboxes, {summary.aliases} aliases"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=("csv", "json"), help="default: from the file name's extension")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument("--partial", action="store_true",
                            help="import the valid records and report the others (default: all or nothing)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, file, format, dry_run, partial, no_progress, **options):
        path = Path(file)
        file_format = format or path.suffix.lstrip(".").lower()
        if file_format not in ("csv", "json"):
            raise CommandError("Give --format csv or json (the file name does not say which).")
        try:
            records, problems = read_file(path, file_format)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {error}") from error
        except FileError as error:
            raise CommandError(f"{path}, line {error.line}: {error}") from error
        progress = Progress(sys.stderr, enabled=not no_progress and sys.stderr.isatty())
        try:
            summary = import_records(actor=Actor.command("import"), records=records, dry_run=dry_run,
                                     partial=partial, problems=problems, progress=progress)
        except ImportRejected as rejected:
            for line, message in rejected.problems:
                self.stderr.write(f"{path}, line {line}: {message}")
            kept = partial and not dry_run
            outcome = f"imported the rest: {self.counts(rejected.summary)}" if kept else "nothing was imported"
            raise CommandError(f"{len(rejected.problems)} problem(s); {outcome}.") from rejected
        counts = self.counts(summary)
        if dry_run:
            self.stdout.write(f"Dry run: {counts} would be imported; nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {counts}."))
