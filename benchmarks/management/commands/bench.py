"""`./mailctl bench`: the benchmark suite (see benchmarks/ and the README's Benchmark section)."""
import argparse
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from benchmarks import run
from mailstack.daemons import StackError


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise CommandError(f"--sizes takes numbers separated by commas, not {text!r}") from error
    if not sizes or min(sizes) < 100:
        raise CommandError("--sizes: at least one size, each of at least 100 mailboxes")
    return sizes


class Command(BaseCommand):
    help = ("Seeds a private stack per size, measures the panel and the API under gunicorn, Postfix, Dovecot and the "
            "bulk import, and writes a report (markdown table and PNG charts) to artifacts/benchmark/.")

    def add_arguments(self, parser):
        defaults = run.Plan()
        parser.add_argument("--sizes", default="10000,100000,1000000",
                            help="mailbox counts to measure, 100 per domain (default 10000,100000,1000000)")
        parser.add_argument("--quick", action="store_true",
                            help="sizes 10000,100000 unless given, and few requests, messages and logins (a minute "
                                 "or two per size)")
        parser.add_argument("--repeat", type=int, help=f"runs of each throughput measure (default {defaults.repeat}; "
                                                       "1 with --quick)")
        parser.add_argument("--requests", type=int, help=f"timed requests per page or API call "
                                                         f"(default {defaults.requests})")
        parser.add_argument("--recipients", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--messages", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--logins", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--output", type=Path, default=Path(settings.BASE_DIR) / "artifacts" / "benchmark")
        parser.add_argument("--measure-here", type=Path, metavar="JSON", help=argparse.SUPPRESS)

    def handle(self, *args, sizes, quick, repeat, requests, recipients, messages, logins, output, measure_here,
               **options):
        plan = run.Plan.quick(repeat) if quick else run.Plan()
        overrides = {"repeat": repeat, "requests": requests, "recipients": recipients, "messages": messages,
                     "logins": logins}
        plan = run.Plan(**{name: getattr(plan, name) if value is None else value for name, value in overrides.items()})
        if min(plan.__dict__.values()) < 1:
            raise CommandError("--repeat, --requests, --recipients, --messages and --logins must be at least 1")
        try:
            if measure_here:
                figures = run.measure_here(plan=plan, log=self.stdout.write)
                measure_here.write_text(json.dumps(figures, indent=2))
                return
            chosen = _sizes("10000,100000" if quick and sizes == "10000,100000,1000000" else sizes)
            report = run.run_all(sizes=chosen, plan=plan, output=output, log=self.stdout.write)
        except StackError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Report written to {report}"))

