"""Delivery in the lab with SpamAssassin's network tests on (docs/benchmark.md): messages per
second from the client host's SMTP sessions on mx's port 25 (postscreen, smtpd, spamass-milter
and spamd, LMTP to Dovecot) into the Maildirs, on mx installed by `./mailctl install` as the
lab's tests install it, and where the CPU time went.  Root only; one lab at a time:

    flock /var/lib/mailadmin-lab-queue.lock .venv/bin/python -m benchmarks.lab_delivery [--messages 400] [--repeat 3]

Also measured with the network tests off (the same mx installed again with
MAILADMIN_SPAM_NETWORK_TESTS=no), to show what they cost.  The figures go to stdout and to
artifacts/benchmark/lab-delivery.json."""
import argparse
import json
import os
import re
import statistics
import time

from benchmarks.machine import cpu_probe_seconds
from benchmarks.stats import summary
from tests.lab.hosts import CHECKOUT, Lab
from tests.lab.mail import manage

DOMAIN = "example.org"
RECIPIENTS = [f"bench{number}@{DOMAIN}" for number in range(20)]
CONNECTIONS = 4
SENDER = str(CHECKOUT / "benchmarks" / "lab_sender.py")
def create_mailboxes(lab):
    done = manage(lab, "shell", input=f"""
from domains import services
from domains.audit import Actor
from domains.models import Domain
actor = Actor.command("benchmark")
domain = Domain.objects.filter(name={DOMAIN!r}).first() or services.domain_create(actor=actor, name={DOMAIN!r})
for address in {RECIPIENTS!r}:
    services.mailbox_create(actor=actor, domain=domain, local_part=address.split("@")[0], password="bench password 1")
""")
    assert done.returncode == 0, done.stderr


def delivered(lab) -> int:
    vmail = lab.mx.path(f"/var/vmail/{DOMAIN}")
    return sum(1 for address in RECIPIENTS for _ in (vmail / address.split("@")[0]).glob("Maildir/**/new/*"))


def cpu_seconds(lab) -> dict[str, float]:
    """CPU seconds (user and system, with those of exited children) per command name on mx, from
    /proc inside mx's namespaces: spamd, smtpd, cleanup, lmtp (Postfix's client and Dovecot's
    server share the name), mariadbd..."""
    stats = lab.mx.run("sh", "-c", "cat /proc/[0-9]*/stat 2>/dev/null", check=False).stdout
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for line in stats.splitlines():
        name, _, rest = line.partition(" (")[2].rpartition(") ")
        fields = rest.split()
        if len(fields) > 14:
            # spamd's children are named "spamd child": counted with their parent, which takes over
            # their time when one exits (after 200 messages) and a new one is started.
            name = name.split()[0] if name else name
            totals[name] = totals.get(name, 0) + sum(int(value) for value in fields[11:15]) / ticks
    return totals


def spamd_log(lab, since: str) -> str:
    return lab.mx.run("journalctl", "-u", "spamd.service", "--since", since, "--no-pager", "-o", "cat").stdout


def scan_times(log: str) -> list[float]:
    """spamd's own time per message (`scantime=` of its log lines), DNS waits included."""
    return [float(value) for value in re.findall(r"scantime=([0-9.]+)", log)]


def log_phases(lab):
    """spamd with --timing (this benchmark's own drop-in on mx, after the install's): one log line per
    message with the milliseconds of each phase of its scan."""
    drop_in = lab.mx.path("/etc/systemd/system/spamd.service.d/mailadmin.conf").read_text()
    command = next(line for line in drop_in.splitlines() if line.startswith("ExecStart=/"))
    lab.mx.write("/etc/systemd/system/spamd.service.d/zz-benchmark-timing.conf",
                 f"[Service]\nExecStart=\n{command} --timing\n")
    lab.mx.run("systemctl", "daemon-reload")
    lab.mx.run("systemctl", "restart", "spamd.service", timeout=180)


def phase_times(log: str) -> dict[str, float]:
    """Median milliseconds per phase of spamd's scans (its --timing lines), those of 0.5 ms or more."""
    phases: dict[str, list[float]] = {}
    for total, rest in re.findall(r"timing: total ([0-9.]+) ms - (.*)", log):
        phases.setdefault("total", []).append(float(total))
        for name, value in re.findall(r"([\w-]+): ([0-9.]+) \(", rest):
            phases.setdefault(name, []).append(float(value))
    medians = {name: statistics.median(values) for name, values in phases.items()}
    return {name: round(median, 2) for name, median in medians.items() if median >= 0.5}


def rate(lab, count: int, tag: str, timeout: float = 900) -> dict:
    probe = cpu_probe_seconds()
    since = lab.mx.run("date", "+%Y-%m-%d %H:%M:%S").stdout.strip()
    before, cpu_before = delivered(lab), cpu_seconds(lab)
    arguments = {"host": "mx.example.net", "ca": str(lab.ca.cert), "recipients": RECIPIENTS, "count": count,
                 "connections": CONNECTIONS, "tag": tag}
    started = time.monotonic()
    result = json.loads(lab.client.run("python3", SENDER, json.dumps(arguments), timeout=timeout).stdout)
    assert not result["errors"], result["errors"][:3]
    deadline = started + timeout
    while delivered(lab) < before + count:
        assert time.monotonic() < deadline, f"only {delivered(lab) - before} of {count} delivered in {timeout} s"
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    cpu_after = cpu_seconds(lab)
    cpu = {name: round(cpu_after.get(name, 0) - cpu_before.get(name, 0), 2) for name in {*cpu_after, *cpu_before}}
    busiest = dict(sorted(((name, value) for name, value in cpu.items() if value >= 0.1),
                          key=lambda item: -item[1]))
    log = spamd_log(lab, since)
    scans, phases = scan_times(log), phase_times(log)
    return {"messages_per_second": count / elapsed, "seconds": elapsed, "sent_in": result["sent_in"],
            "cpu_seconds": busiest, "cpu_total": round(sum(busiest.values()), 1),
            "spamd_scan_seconds": summary(scans) if scans else None, "spamd_phase_ms": phases,
            "load_average": os.getloadavg(), "cpu_probe_seconds": probe}


def measure(lab, messages: int, repeat: int, label: str, phases: bool) -> dict:
    if phases:
        log_phases(lab)
    rate(lab, 10, f"{label}-warm-up")  # postscreen's first test of the client, spamd's children started
    runs = []
    for attempt in range(repeat):
        runs.append(rate(lab, messages, f"{label}-{attempt}"))
        last = runs[-1]
        scan = last["spamd_scan_seconds"] or {"median": float("nan")}
        print(f"{label}: {last['messages_per_second']:.1f} messages/s, spamd's median scan {scan['median']:.2f} s, "
              f"load {last['load_average'][0]:.1f}, CPU probe {last['cpu_probe_seconds']} s, "
              f"CPU s {last['cpu_seconds']}"
              + (f", spamd's phases (median ms) {last['spamd_phase_ms']}" if phases else ""), flush=True)
    return {"summary": summary([run["messages_per_second"] for run in runs]), "runs": runs}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phases", action="store_true",
                        help="spamd with --timing: where each scan's time goes, phase by phase")
    options = parser.parse_args()
    results = {"messages": options.messages, "connections": CONNECTIONS, "cores": os.cpu_count()}
    with Lab() as lab:
        settings = lab.files_tls_settings()
        lab.install_mx(settings)
        create_mailboxes(lab)
        results["network_tests_on"] = measure(lab, options.messages, options.repeat, "network tests on",
                                              options.phases)
        lab.install_mx(settings | {"MAILADMIN_SPAM_NETWORK_TESTS": "no"})
        results["network_tests_off"] = measure(lab, options.messages, options.repeat, "network tests off",
                                               options.phases)
    output = CHECKOUT / "artifacts" / "benchmark" / "lab-delivery.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({key: value["summary"] for key, value in results.items() if isinstance(value, dict)}, indent=2))


if __name__ == "__main__":
    main()
