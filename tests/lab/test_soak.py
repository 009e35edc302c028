"""A soak of the installed mx under mixed load, bounded in time (docs/lab.md).

`remote` sends a steady stream of mail (every fifth message spam), IMAP clients on `client`
keep IDLE sessions and fetch periodically, submission clients send, a billing client calls the
API and an admin browses the panel (tests/lab/client_soak.py), while the CPU time and resident
memory of each daemon and of the panel on mx are sampled from /proc.  At the end: every message
delivered exactly once into the right folder, no error or 5xx, no bounce, memory flat; the report
(p50/p99 per kind of request and of delivery delay, the samples) goes to artifacts/soak/.

About 60 s by default; MAILADMIN_SOAK_SECONDS=600 MAILADMIN_SOAK_IMAP_CLIENTS=200 is the long
form.  The short form starts 40 IMAP clients: on the lab's 2 shared cores, Argon2 first logins
of 200 clients alone take about 15 s of CPU."""
import json
import os
import re
import statistics
import threading
import time
import uuid

from tests.lab.hosts import CHECKOUT
from tests.lab.mail import bounces, manage, remote_send

SECONDS = int(os.environ.get("MAILADMIN_SOAK_SECONDS", "60"))
IMAP_CLIENTS = int(os.environ.get("MAILADMIN_SOAK_IMAP_CLIENTS", "40"))
SUBMISSION_CLIENTS = 20
DOMAIN = "example.org"  # remote finds its MX in the lab's DNS
PASSWORD = "a soak mailbox password"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
# Postfix's unit has no main process of its own (GuessMainPID=no): its master's pid file names it.
POSTFIX = "postfix@-.service"
UNITS = ("dovecot.service", POSTFIX, "mariadb.service", "spamd.service", "opendkim.service",
         "mailadmin.service", "nginx.service")
SAMPLE_EVERY = 5
REPORT = CHECKOUT / "artifacts" / "soak"

SETUP = """
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from api.services import api_key_create
from domains import services
from domains.audit import Actor
from domains.models import Domain
from domains.passwords import hash_password
from tests.signin import sign_in_with_second_factor
actor = Actor.command("soak")
domain = Domain.objects.filter(name=DOMAIN).first() or services.domain_create(actor=actor, name=DOMAIN)
hashed = hash_password(PASSWORD)
for number in range(COUNT):
    services.mailbox_create(actor=actor, domain=domain, local_part=f"soak{number}", password_hash=hashed)
admin = get_user_model().objects.create_superuser("soak-admin", "soak-admin@example.org", "a soak admin password")
client = sign_in_with_second_factor(Client(), admin)
_, key = api_key_create(actor=Actor.for_user(admin), name="billing", all_domains=True, domains=[], read_only=False,
                        allowed_actions=[], expires=None)
print(json.dumps({"key": key, "cookie_name": settings.SESSION_COOKIE_NAME,
                  "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value, "domain_id": domain.pk}))
"""


def percentiles(values):
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {"n": len(ordered), "p50": statistics.median(ordered),
            "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], "max": ordered[-1]}


class Sampler(threading.Thread):
    """CPU and memory of each unit on mx, from /proc there (benchmarks/processes.py), every few seconds."""

    def __init__(self, lab):
        super().__init__(daemon=True)
        self.lab, self.samples, self.stop = lab, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            units = [f"{unit}=/var/spool/postfix/pid/master.pid" if unit == POSTFIX else unit for unit in UNITS]
            done = self.lab.mx.run("python3", str(CHECKOUT / "benchmarks" / "processes.py"), *units, check=False)
            if done.returncode == 0:
                self.samples.append(json.loads(done.stdout))
            self.stop.wait(SAMPLE_EVERY)


class RemoteStream(threading.Thread):
    """remote sends one message a second to the soak's mailboxes in turn, every fifth one spam."""

    def __init__(self, lab, recipients):
        super().__init__(daemon=True)
        self.lab, self.recipients, self.sent, self.errors = lab, recipients, [], []

    def run(self):
        start = time.monotonic()
        for number in range(SECONDS):
            spam = number % 5 == 4
            to = self.recipients[number % len(self.recipients)]
            subject = f"lab soak remote {'spam ' if spam else ''}{uuid.uuid4()}"
            sent = time.time()
            try:
                remote_send(self.lab, to, subject, body=f"{GTUBE}\n" if spam else "Hello from remote.\n")
                self.sent.append({"subject": subject, "to": to, "sent": sent, "folder": "Junk" if spam else "INBOX"})
            except Exception as error:  # noqa: BLE001 - reported by the test
                self.errors.append(f"{subject}: {error}")
            time.sleep(max(0.0, start + number + 1 - time.monotonic()))


def delivered(lab):
    """{subject: [(mailbox, folder, delivery time)]} of the soak's messages in the maildirs on mx."""
    listing = lab.mx.run("grep", "-r", "-m1", "-H", "^Subject: lab soak", f"/var/vmail/{DOMAIN}", check=False).stdout
    found = {}
    for line in listing.splitlines():
        path, _, header = line.partition(":Subject: ")
        parts = re.search(rf"/var/vmail/{re.escape(DOMAIN)}/([^/]+)/Maildir/(?:\.([^/]+)/)?(?:new|cur)/(\d+)\.M(\d+)",
                          path)
        if parts:
            mailbox, folder, seconds, micro = parts.groups()
            found.setdefault(header.strip(), []).append(
                (f"{mailbox}@{DOMAIN}", folder or "INBOX", int(seconds) + int(micro) / 1e6))
    return found


def memory_growth(samples):
    """{unit: (median RSS over the middle third, over the last third)} in MiB."""
    third = max(len(samples) // 3, 1)
    growth = {}
    for unit in UNITS:
        series = [sample["units"][unit]["rss_bytes"] / 2**20 for sample in samples if unit in sample["units"]]
        if len(series) >= 3:
            growth[unit] = (statistics.median(series[third:2 * third]), statistics.median(series[-third:]))
    return growth


def test_mixed_load_for_a_bounded_time(mx):
    setup = manage(mx, "shell", input=SETUP.replace("DOMAIN", repr(DOMAIN)).replace("PASSWORD", repr(PASSWORD))
                   .replace("COUNT", str(IMAP_CLIENTS)))
    assert setup.returncode == 0, setup.stderr
    made = json.loads(setup.stdout.strip().splitlines()[-1])
    users = [f"soak{number}@{DOMAIN}" for number in range(IMAP_CLIENTS)]
    config = {"host": "mx.example.net", "ca": str(mx.ca.cert), "seconds": SECONDS, "ramp_seconds": min(20, SECONDS / 3),
              "imap_users": [[user, PASSWORD] for user in users], "fetch_every": 10,
              "submission_clients": SUBMISSION_CLIENTS, "submitters": [[user, PASSWORD] for user in users[:20]],
              "recipients": users, "submit_every": 10, "api_key": made["key"], "domain": DOMAIN, "api_every": 3,
              "cookie_name": made["cookie_name"], "cookie": made["cookie"], "panel_every": 3,
              "panel_paths": ["/", f"/domains/{made['domain_id']}/", "/status/"]}

    bounced_before = bounces(mx)  # earlier lab tests' own (a full mailbox's 552, on purpose)
    sampler, stream = Sampler(mx), RemoteStream(mx, users)
    sampler.start()
    stream.start()
    started = time.time()
    try:
        done = mx.client.run("python3", str(CHECKOUT / "tests" / "lab" / "client_soak.py"), json.dumps(config),
                             timeout=SECONDS + 180, check=False)
        stream.join(SECONDS + 60)
    finally:
        sampler.stop.set()
        sampler.join(30)
    assert done.returncode == 0, done.stderr[-3000:]
    clients = json.loads(done.stdout)
    expected = {item["subject"]: item | {"folder": "INBOX"} for item in clients["submitted"]}
    expected |= {item["subject"]: item for item in stream.sent}
    deadline = time.monotonic() + 180
    while not set(expected) <= set(found := delivered(mx)) and time.monotonic() < deadline:
        time.sleep(2)
    missing = [expected[subject] for subject in set(expected) - set(found)]
    delays = [found[subject][0][2] - item["sent"] for subject, item in expected.items() if subject in found]

    report = {"seconds": SECONDS, "imap_clients": IMAP_CLIENTS, "submission_clients": SUBMISSION_CLIENTS,
              "wall_seconds": time.time() - started, "messages": len(expected),
              "latency_seconds": {kind: percentiles(values) for kind, values in clients["latencies"].items()}
              | {"delivery_delay": percentiles(delays)},
              "errors": clients["errors"] + stream.errors, "undelivered": missing,
              "memory_mib_middle_last": memory_growth(sampler.samples),
              "samples": sampler.samples}
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "soak.json").write_text(json.dumps(report, indent=2))
    lines = [f"soak: {SECONDS} s, {IMAP_CLIENTS} IMAP clients (IDLE, a fetch every 10 s), {SUBMISSION_CLIENTS} "
             f"submission clients, remote 1 msg/s (1 in 5 spam), billing API and panel every 3 s",
             f"{len(expected)} messages; errors: {len(report['errors'])}", "", "latency (s): kind n p50 p99 max"]
    lines += [f"  {kind:16} {v['n']:5} {v.get('p50', 0):7.3f} {v.get('p99', 0):7.3f} {v.get('max', 0):7.3f}"
              for kind, v in report["latency_seconds"].items()]
    lines += ["", "memory (MiB, median of the middle and last thirds) and CPU seconds used, per unit on mx:"]
    first, last = sampler.samples[0]["units"], sampler.samples[-1]["units"]
    for unit, (middle, end) in report["memory_mib_middle_last"].items():
        if unit in first and unit in last:
            cpu = last[unit]["cpu_seconds"] - first[unit]["cpu_seconds"]
            lines.append(f"  {unit:20} {middle:8.1f} {end:8.1f}   cpu {cpu:7.1f}")
    (REPORT / "soak.txt").write_text("\n".join(lines) + "\n")
    if report["errors"] or missing:  # what mx's daemons said meanwhile, for whoever reads the failure
        (REPORT / "mx-journal.txt").write_text(mx.mx.run(
            "journalctl", "--no-pager", "-q", "-u", "dovecot", "-u", "postfix@-", "-u", "mailadmin",
            "--since", f"@{int(started)}", check=False, timeout=120).stdout)

    assert not missing, (f"{len(missing)} of {len(expected)} messages not delivered", missing[:5])

    assert not report["errors"], report["errors"][:20]
    wrong = {subject: (item["to"], item["folder"], found[subject]) for subject, item in expected.items()
             if [(mailbox, folder) for mailbox, folder, _ in found[subject]] != [(item["to"], item["folder"])]}
    assert not wrong, list(wrong.items())[:10]  # each exactly once, in its mailbox and folder
    assert bounces(mx) == bounced_before, "nothing bounced"
    assert "status=bounced" not in mx.mx.run("journalctl", "--no-pager", "-q", "-o", "cat", "-t", "postfix/lmtp",
                                             check=False).stdout
    for unit, (middle, end) in report["memory_mib_middle_last"].items():
        assert end <= middle * 1.25 + 16, f"{unit}: resident memory grew from {middle:.0f} to {end:.0f} MiB"
