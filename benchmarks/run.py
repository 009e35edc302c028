"""The whole suite: for each size, a private stack of its own (var/bench-<size>, its own port base)
is started, seeded, measured and stopped; then the report is written from every size's figures."""
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from mailadmin import config
from mailstack.daemons import StackError

from . import imap, imports, smtp, web
from .machine import cpu_probe_seconds, describe
from .report import write_report

# MAILADMIN_BENCH_PORT_BASE moves every size's stack, so two checkouts can measure side by side.
FIRST_PORT_BASE, PORT_BASE_STEP = config.value("BENCH_PORT_BASE"), 5000
SEED_PASSWORD = "benchmark mailbox password"
MAILBOXES_PER_DOMAIN = 100


@dataclass(frozen=True)
class Plan:
    """How much each measure does; --quick makes every amount small."""

    requests: int = 30       # timed requests per panel page or API call
    repeat: int = 3          # runs of each throughput measure (RCPT, delivery, logins, imports)
    recipients: int = 10_000  # RCPTs per run and map variant
    messages: int = 200      # messages per delivery run without the filter (a quarter with it)
    logins: int = 60         # IMAP logins per run and cache variant

    @classmethod
    def quick(cls, repeat: int | None = None) -> "Plan":
        return cls(requests=10, repeat=repeat or 1, recipients=2000, messages=40, logins=40)


def _manage(arguments: list[str], env: dict, log):
    """Runs manage.py in the size's environment, its output passed through as it comes."""
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]
    process = subprocess.run(command, env=env, cwd=settings.BASE_DIR)
    if process.returncode != 0:
        raise StackError(f"manage.py {' '.join(arguments)} failed (exit {process.returncode})")


def run_size(*, size: int, index: int, plan: Plan, log) -> dict:
    var = Path(settings.BASE_DIR) / "var" / f"bench-{size}"
    port_base = FIRST_PORT_BASE + PORT_BASE_STEP * index
    env = os.environ | {"MAILADMIN_VAR_DIR": str(var), "MAILADMIN_PORT_BASE": str(port_base),
                        "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    figures_path = var / "figures.json"
    log(f"\n== {size:,} mailboxes: stack under {var}, port base {env['MAILADMIN_PORT_BASE']}")
    # A fresh stack: whatever an earlier run (or an earlier schema) left there goes first.
    _manage(["mailstack", "down"], env, log)
    shutil.rmtree(var, ignore_errors=True)
    try:
        _manage(["mailstack", "up"], env, log)
        _manage(["collectstatic", "--noinput", "-v0"], env, log)
        started = time.monotonic()
        _manage(["seed_benchmark", "--replace", "--mailboxes", str(size),
                 "--domains", str(max(size // MAILBOXES_PER_DOMAIN, 1)), "--password", SEED_PASSWORD], env, log)
        seed_seconds = time.monotonic() - started
        _manage(["bench", "--measure-here", str(figures_path), "--requests", str(plan.requests),
                 "--repeat", str(plan.repeat), "--recipients", str(plan.recipients), "--messages", str(plan.messages),
                 "--logins", str(plan.logins)], env, log)
    finally:
        _manage(["mailstack", "down"], env, log)
    figures = json.loads(figures_path.read_text())
    return figures | {"size": size, "seed_seconds": seed_seconds}


def run_all(*, sizes: list[int], plan: Plan, output: Path, log) -> Path:
    machine = describe()
    results = []
    for index, size in enumerate(sizes):
        results.append(run_size(size=size, index=index, plan=plan, log=log))
    machine["load_average_end"] = [round(value, 2) for value in os.getloadavg()]
    machine["cpu_probe_seconds_end"] = cpu_probe_seconds()
    return write_report(results=results, machine=machine, plan=plan, output=output)


def _guarded(name: str, measure, log) -> dict:
    """One measure's figures, or the reason it could not be taken (the others still run)."""
    log(f"{name}:")
    started = time.monotonic()
    try:
        figures = measure()
    except (StackError, OSError) as error:
        log(f"  {name} failed: {error}")
        figures = {"error": str(error)}
    log(f"  ({time.monotonic() - started:.0f} s)")
    return figures


def measure_here(*, plan: Plan, log) -> dict:
    """Every measure against the stack of the current settings (seeded by seed_benchmark)."""
    from domains.models import Domain, Mailbox

    run = time.strftime("%H%M%S")
    return {
        "mailboxes": Mailbox.objects.count(),
        "domains": Domain.objects.count(),
        "web": _guarded("panel and API", lambda: web.measure(
            requests=plan.requests, repeat=plan.repeat, run=run, log=log), log),
        "rcpt": _guarded("Postfix RCPT", lambda: smtp.measure_rcpt(
            recipients=plan.recipients, repeat=plan.repeat, log=log), log),
        "delivery": _guarded("delivery", lambda: smtp.measure_delivery(
            messages=plan.messages, repeat=plan.repeat, log=log), log),
        "logins": _guarded("IMAP logins", lambda: imap.measure_logins(
            logins=plan.logins, repeat=plan.repeat, password=SEED_PASSWORD, log=log), log),
        "import": _guarded("import", lambda: imports.measure_import(repeat=plan.repeat, run=run, log=log), log),
    }
