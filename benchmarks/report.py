"""The report: artifacts/benchmark/report.md (markdown tables), PNG charts beside it, and the raw
figures in results.json."""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PAGE_TARGET_MS, API_GET_TARGET_MS, RCPT_RATIO_TARGET = 50.0, 10.0, 0.8
TUTORIAL_RATIO_TARGET = 0.9  # the bundled maps against the ISPmail tutorial's own, on the same rows
RETURNING_LOGINS_TARGET = 200  # IMAP logins/s of returning clients on 2 cores (docs/logins.md)
LIMITS = """\
## What limits each figure

- **Panel and API server time** is Django's whole handling of one request (the `Server-Timing`
  header of `benchmarks.timing`, the outermost middleware): session, sign-in and second-factor
  checks, the view, its SQL and the template. Requests go one at a time to gunicorn (2 sync
  workers); the client's own wait is in results.json. List and search pages read one index range
  (keyset pages), so their cost barely grows with the table; the domain list reads one row of
  totals per domain on the page (kept by MariaDB triggers, `domains/totals.py`), whatever the
  size of its domains.
- **Creating a mailbox** is dominated by hashing its password (ARGON2ID, 64 MiB, t=3): the
  "password hash alone" row is that part, the "pre-hashed" row the rest (validation, insert,
  audit row).
- **RCPT rate**: with the SQL maps each accepted recipient of a mailbox costs five queries to
  MariaDB, each through an index (`tests/test_query_plans.py`) and, in the bundled stack, over
  its unix socket: the domain (trivial-rewrite), the recipient access check, the mailbox-to-itself
  map in smtpd (which asks it first: it only checks that the recipient exists), and the alias map
  then the mailbox-to-itself map in cleanup (an alias of the full address wins); `hash:` maps are
  in-memory Berkeley DB reads. Each query costs MariaDB's parsing and executing (tens of
  microseconds of CPU) plus a round trip. **Cold** is a first pass over recipients not seen
  before, **warm** a second pass over the same ones at once: without a cache in front of MariaDB
  (as bundled) the two are alike; a cache would help only the warm figure, for recipients seen
  within its life. Measured over 4 pipelined SMTP sessions with the milter off in all variants,
  so the figure is that of the lookups, with the client, Postfix and MariaDB on the same cores.
  Tried and not kept: one UNION query for the alias and mailbox-to-itself maps (no faster),
  MariaDB's thread pool (no change), its query cache (it serves a cached result only to an
  account with table-wide SELECT on every table the result came from: never to Postfix's
  account, whose grants are per column, nor through views without the password column), and
  Postfix's `memcache:` table in front of the SQL maps (warm 61-65% of static maps on a quiet
  machine, cold below MariaDB alone; see docs/benchmark.md).
  **The tutorial's maps** are the ISPmail tutorial's own four queries on the same rows and with
  the same restrictions, minus the recipient access map: four queries per recipient instead of
  five, with no join to `virtual_domains` (so no suspension check). Measured cold and warm like
  the bundled maps, on other addresses new to the stack.
- **Delivery** with SpamAssassin is bound by `spamd` (2 children in the bundled stack, a few
  hundred milliseconds of CPU per message); without it, by Postfix's queue manager, LMTP and
  Dovecot's Sieve step and fsync of each Maildir file.
- **IMAP logins** that verify the ARGON2ID hash (64 MiB, t=3: about 120 ms of CPU) are bound by
  it: with the returning-login cache off, and equally with Dovecot's own auth cache on
  (`auth_cache_size = 10M`, `auth_cache_verify_password_with_worker = yes`), which saves the SQL
  lookups but still verifies the password against the cached hash at every login. First logins
  pay the hash; returning logins (the same mailbox and password again within
  `MAILADMIN_DOVECOT_RETURNING_LOGIN_SECONDS`) skip it and are bound by the TLS handshake and
  two SQL lookups (docs/logins.md).
- **Import** through `mailboxes_create_many` is bound by validation in Python and batched
  inserts with an audit row each; the passwords are pre-hashed.
- The machine was shared with other work while measuring unless said otherwise: the spreads
  (p95, min–max) show how noisy each figure was.
"""


def _ms(summary: dict) -> str:
    return f"{summary['median']:.1f}"


def _rate(summary: dict, digits: int = 0) -> str:
    return f"{summary['median']:,.{digits}f} ({summary['min']:,.{digits}f}–{summary['max']:,.{digits}f})"


def _percent(summary: dict) -> str:
    return f"{summary['median']:.0%} ({summary['min']:.0%}–{summary['max']:.0%})"


def _failed(figures: dict) -> str | None:
    return figures.get("error") if isinstance(figures, dict) else "missing"


def machine_table(machine: dict) -> str:
    rows = [("measured", machine["when"]), ("CPU", f"{machine['cpu']}, {machine['cores']} cores"),
            ("memory", f"{machine['memory_gib']} GiB"),
            ("load average at start (1, 5, 15 min)", ", ".join(map(str, machine["load_average"]))),
            ("load average at the end", ", ".join(map(str, machine.get("load_average_end", [])))),
            ("CPU probe at start and end (s; lower is faster)",
             f"{machine.get('cpu_probe_seconds', '?')}, {machine.get('cpu_probe_seconds_end', '?')}"),
            ("Debian", machine["debian"]), ("kernel", machine["kernel"]), ("MariaDB", machine["mariadb"]),
            ("Postfix", machine["postfix"]), ("Dovecot", machine["dovecot"]),
            ("SpamAssassin", machine["spamassassin"]), ("Python", machine["python"]), ("Django", machine["django"]),
            ("gunicorn", machine["gunicorn"])]
    return "| | |\n|---|---|\n" + "\n".join(f"| {name} | {value} |" for name, value in rows) + "\n"


def requests_table(results: list[dict]) -> str:
    sizes = [result["size"] for result in results]
    names = []
    for result in results:
        for row in result["web"].get("requests", []):
            if (row["area"], row["name"]) not in names:
                names.append((row["area"], row["name"]))
    growth = f"median at {sizes[-1]:,} / at {sizes[0]:,}" if len(sizes) > 1 else ""
    header = ("| | request | " + " | ".join(f"{size:,}: median / p95 (min–max) ms" for size in sizes)
              + (f" | {growth}" if growth else "") + " |")
    lines = [header, "|---|---|" + "---:|" * (len(sizes) + bool(growth))]
    for area, name in names:
        cells = []
        medians = []
        for result in results:
            row = next((row for row in result["web"].get("requests", []) if (row["area"], row["name"]) == (area, name)),
                       None)
            server = row["server_ms"] if row else None
            medians.append(server["median"] if server else None)
            cells.append(f"{server['median']:.1f} / {server['p95']:.1f} ({server['min']:.1f}–{server['max']:.1f})"
                         if server else "–")
        if growth:
            cells.append(f"× {medians[-1] / medians[0]:.2f}" if medians[0] and medians[-1] else "–")
        lines.append(f"| {area} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def throughput_table(results: list[dict]) -> str:
    lines = ["| measure | " + " | ".join(f"{result['size']:,} mailboxes" for result in results) + " |",
             "|---|" + "---:|" * len(results)]

    def row(label, part, pick):
        cells = []
        for result in results:
            figures = result if part is None else result.get(part, {"error": "not measured"})
            cells.append(f"failed: {figures['error']}"[:100] if "error" in figures else pick(figures))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("seeding (s)", None, lambda r: f"{r['seed_seconds']:.0f}")
    row("RCPT accepted/s, SQL maps, cold (recipients not seen before)", "rcpt", lambda r: _rate(r["sql_cold"]))
    row("RCPT accepted/s, SQL maps, warm (the same recipients again)", "rcpt", lambda r: _rate(r["sql_warm"]))
    row("RCPT accepted/s, static hash: maps", "rcpt", lambda r: _rate(r["hash"]))
    row("SQL / static ratio, cold", "rcpt", lambda r: _percent(r["ratio_cold"]))
    row(f"SQL / static ratio, warm (target ≥ {RCPT_RATIO_TARGET:.0%})", "rcpt", lambda r: _percent(r["ratio_warm"]))
    row("RCPT accepted/s, the ISPmail tutorial's SQL maps, cold", "rcpt", lambda r: _rate(r["tutorial_cold"])
        if "tutorial_cold" in r else "not measured")
    row("RCPT accepted/s, the ISPmail tutorial's SQL maps, warm", "rcpt", lambda r: _rate(r["tutorial_warm"])
        if "tutorial_warm" in r else "not measured")
    row(f"bundled / tutorial maps, cold (target ≥ {TUTORIAL_RATIO_TARGET:.0%})", "rcpt",
        lambda r: _percent(r["tutorial_ratio_cold"]) if "tutorial_ratio_cold" in r else "not measured")
    row(f"bundled / tutorial maps, warm (target ≥ {TUTORIAL_RATIO_TARGET:.0%})", "rcpt",
        lambda r: _percent(r["tutorial_ratio_warm"]) if "tutorial_ratio_warm" in r else "not measured")
    row("delivery msgs/s, SpamAssassin on", "delivery", lambda r: _rate(r["spamassassin"], 1))
    row("delivery msgs/s, milter off", "delivery", lambda r: _rate(r["no_filter"], 1))
    row("IMAP logins/s, every login verifies ARGON2ID", "logins", lambda r: _rate(r["hash_every_login"], 1))
    row("IMAP logins/s, the same with Dovecot's auth cache", "logins", lambda r: _rate(r["auth_cache_on"], 1))
    row("IMAP logins/s, first logins (returning-login cache on)", "logins", lambda r: _rate(r["first"], 1))
    row(f"IMAP logins/s, returning logins (target ≥ {RETURNING_LOGINS_TARGET})", "logins",
        lambda r: _rate(r["returning"], 1))
    row(f"IMAP logins/s on 2 cores of Dovecot's and MariaDB's own, returning (target ≥ {RETURNING_LOGINS_TARGET})",
        "logins", lambda r: _rate(r["capacity_2_cores"]["returning"], 1) if "capacity_2_cores" in r else "not measured")
    row("IMAP logins/s on 2 cores of Dovecot's and MariaDB's own, every login hashed", "logins",
        lambda r: _rate(r["capacity_2_cores"]["hash_every_login"], 1) if "capacity_2_cores" in r else "not measured")
    row("import via mailboxes_create_many, mailboxes/s", "import",
        lambda r: _rate(r["per_second"]) if r["available"] else "service not available")
    row("API bulk create (10,000 pre-hashed), mailboxes/s", "web", _bulk_cell)
    return "\n".join(lines) + "\n"


def _bulk_cell(web: dict) -> str:
    bulk = web["bulk_api"]
    if not bulk["available"]:
        return f"endpoint not available ({bulk['status']})"
    if "error" in bulk:
        return f"failed: {bulk['error']}"[:80]
    return _rate(bulk["per_second"])


def targets(results: list[dict]) -> str:
    largest = max(results, key=lambda result: result["size"])
    lines = [f"At {largest['size']:,} mailboxes (the largest size measured):", ""]
    for row in largest["web"].get("requests", []):
        name = f"{row['area']} {row['name']}"
        if row["area"] == "api" and row["name"].startswith("GET one"):
            target = API_GET_TARGET_MS
        elif "list" in row["name"] or "search" in row["name"]:
            target = PAGE_TARGET_MS
        else:
            continue
        verdict = "met" if row["server_ms"]["median"] <= target else "**not met**"
        lines.append(f"- {name}: median {_ms(row['server_ms'])} ms, target ≤ {target:.0f} ms: {verdict}")
    rcpt = largest.get("rcpt", {})
    if "ratio_warm" in rcpt:
        verdict = "met" if rcpt["ratio_warm"]["median"] >= RCPT_RATIO_TARGET else "**not met**"
        lines.append(f"- Postfix RCPT with SQL maps at {rcpt['ratio_warm']['median']:.0%} of static maps for "
                     f"recipients seen again at once (warm), target ≥ {RCPT_RATIO_TARGET:.0%}: "
                     f"{verdict}; {rcpt['ratio_cold']['median']:.0%} for recipients not seen before (cold)")
    if "tutorial_ratio_cold" in rcpt:
        cold, warm = rcpt["tutorial_ratio_cold"]["median"], rcpt["tutorial_ratio_warm"]["median"]
        verdict = "met" if min(cold, warm) >= TUTORIAL_RATIO_TARGET else "**not met**"
        lines.append(f"- Postfix RCPT with the bundled maps at {cold:.0%} (cold) and {warm:.0%} (warm) of the ISPmail "
                     f"tutorial's maps on the same rows, target ≥ {TUTORIAL_RATIO_TARGET:.0%}: {verdict}")
    return "\n".join(lines) + "\n"


def chart_requests(results: list[dict], path: Path):
    sizes = [result["size"] for result in results]
    figure, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=False)
    for axis, area in zip(axes, ("panel", "api"), strict=True):
        names = [row["name"] for row in results[0]["web"].get("requests", []) if row["area"] == area]
        for name in names:
            medians, p95s = [], []
            for result in results:
                row = next((row for row in result["web"].get("requests", []) if row["name"] == name), None)
                medians.append(row["server_ms"]["median"] if row else float("nan"))
                p95s.append(row["server_ms"]["p95"] if row else float("nan"))
            errors = [[0] * len(sizes), [max(p - m, 0) for p, m in zip(p95s, medians, strict=True)]]
            axis.errorbar(sizes, medians, yerr=errors, marker="o", capsize=3, label=name)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("mailboxes")
        axis.set_ylabel("server time, ms (median, bar to p95)")
        axis.set_title("panel pages" if area == "panel" else "REST API")
        axis.axhline(PAGE_TARGET_MS if area == "panel" else API_GET_TARGET_MS, color="grey", linestyle=":")
        axis.legend(fontsize=7)
        axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def chart_throughput(results: list[dict], path: Path):
    panels = [("Postfix RCPT accepted/s", "rcpt", (("sql_cold", "SQL maps, cold"), ("sql_warm", "SQL maps, warm"),
                                                 ("tutorial_cold", "tutorial's maps, cold"),
                                                 ("tutorial_warm", "tutorial's maps, warm"),
                                                 ("hash", "static hash: maps"))),
              ("delivery SMTP → Maildir, msgs/s", "delivery",
               (("spamassassin", "SpamAssassin on"), ("no_filter", "milter off"))),
              ("IMAP logins/s", "logins", (("hash_every_login", "every login hashed"),
                                           ("auth_cache_on", "Dovecot's auth cache"), ("first", "first logins"),
                                           ("returning", "returning logins")))]
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    labels = [f"{result['size']:,}" for result in results]
    for axis, (title, part, variants) in zip(axes, panels, strict=True):
        width = 0.8 / len(variants)
        for number, (key, label) in enumerate(variants):
            values = [result.get(part, {}).get(key, {}) for result in results]
            medians = [value.get("median", 0) for value in values]
            low = [m - value.get("min", m) for m, value in zip(medians, values, strict=True)]
            high = [value.get("max", m) - m for m, value in zip(medians, values, strict=True)]
            positions = [index + (number - (len(variants) - 1) / 2) * width for index in range(len(results))]
            axis.bar(positions, medians, width, yerr=[low, high], capsize=3, label=label)
        axis.set_xticks(range(len(results)), labels)
        axis.set_xlabel("mailboxes")
        axis.set_title(title)
        axis.legend(fontsize=8)
        axis.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(*, results: list[dict], machine: dict, plan, output: Path) -> Path:
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps({"machine": machine, "plan": plan.__dict__, "results": results},
                                                    indent=2))
    chart_requests(results, output / "requests.png")
    chart_throughput(results, output / "throughput.png")
    sizes = ", ".join(f"{result['size']:,}" for result in results)
    text = "\n".join([
        "# mailadmin benchmark", "",
        f"Sizes: {sizes} mailboxes, 100 per domain (three large "
        "domains hold 10%), 10 aliases per domain; each size on a freshly seeded private stack. "
        f"{plan.requests} timed requests per page after 3 warm-ups; {plan.repeat} run(s) of each throughput measure "
        "(median, with min–max in brackets).", "",
        "## Machine", "", machine_table(machine),
        "## Panel and API: server time per request", "",
        "Server time = the `Server-Timing` header added by `benchmarks.timing.ServerTimingMiddleware` "
        "(outermost Django middleware, `time.perf_counter()` around the whole request), panel served by gunicorn.", "",
        requests_table(results), "![server time per request](requests.png)", "",
        "## Targets", "", targets(results),
        "## Throughput", "", throughput_table(results), "![throughput](throughput.png)", "",
        LIMITS,
    ])
    report = output / "report.md"
    report.write_text(text)
    return report
