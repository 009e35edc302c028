"""Writes every domain, mailbox (with its password hash) and alias as CSV or JSON.

    manage.py export --format csv > mail.csv
    manage.py export --format json --output mail.json
"""
import os
import sys

from django.core.management.base import BaseCommand

from domains.transfer.export import export_records
from domains.transfer.formats import write_csv, write_json


class Command(BaseCommand):
    help = "Exports domains, mailboxes and aliases as CSV or JSON (the format `import` reads)."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, format, output, **options):
        write = write_csv if format == "csv" else write_json
        if output:
            # The file holds password hashes: readable by its owner only.
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)
            with open(descriptor, "w", encoding="utf-8", newline="") as stream:
                write(stream, export_records())
        else:
            write(sys.stdout, export_records())
