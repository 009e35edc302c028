"""Postfix: recipients accepted per second at RCPT time, with the SQL maps, with the ISPmail
tutorial's own SQL maps on the same rows, and with static `hash:` maps of the same addresses; and
messages per second from SMTP into the Maildirs, with the SpamAssassin milter on and off.

Every Postfix command is given the stack's own configuration folder (`-c`): a host whose Postfix
is unconfigured, as Debian leaves it, has no /etc/postfix/main.cf.

The variants are the same Postfix instance with its main.cf changed and reloaded, in the same
run; main.cf is put back afterwards."""
import contextlib
import random
import re
import smtplib
import socket
import subprocess
import time
from email.message import EmailMessage
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import connection

from mailstack.config import paths
from mailstack.daemons import Postfix, StackError

from .parallel import in_parallel
from .stats import summary

SENDER = "bench@sender.example"
RCPT_PER_TRANSACTION = 500  # below Postfix's smtpd_recipient_limit (1000)
CONNECTIONS = 4
# The rows each static map holds: what the matching mysql-*.cf query answers, for every key.
HASH_MAPS = {
    "mysql-virtual-mailbox-domains.cf": "SELECT name, 1 FROM virtual_domains WHERE active=1",
    "mysql-virtual-mailbox-maps.cf": "SELECT u.email, 1 FROM virtual_users u JOIN virtual_domains d"
                                     " ON d.id=u.domain_id WHERE u.active=1 AND d.active=1",
    "mysql-virtual-alias-maps.cf": "SELECT a.source, GROUP_CONCAT(a.destination SEPARATOR ',') FROM virtual_aliases a"
                                   " JOIN virtual_domains d ON d.id=a.domain_id WHERE d.active=1 GROUP BY a.source",
    "mysql-email2email.cf": "SELECT email, email FROM virtual_users",
    "mysql-recipient-access.cf": "SELECT u.email, '550 5.2.1 Mailbox disabled' FROM virtual_users u"
                                 " JOIN virtual_domains d ON d.id=u.domain_id WHERE u.active=0 OR d.active=0",
}

# The ISPmail tutorial's maps (Bookworm edition, as every edition has them): no check of a
# suspended mailbox or domain, and no recipient access map.  Measured on the same rows and with
# the same restrictions otherwise, so that the difference is what the bundled maps add.
TUTORIAL_QUERIES = {
    "mysql-virtual-mailbox-domains.cf": "SELECT 1 FROM virtual_domains WHERE name='%s'",
    "mysql-virtual-mailbox-maps.cf": "SELECT 1 FROM virtual_users WHERE email='%s'",
    "mysql-virtual-alias-maps.cf": "SELECT destination FROM virtual_aliases WHERE source='%s'",
    "mysql-email2email.cf": "SELECT email FROM virtual_users WHERE email='%s'",
}


def _main_cf() -> Path:
    return paths().postfix_config / "main.cf"


def _reload():
    Postfix().postfix("reload")
    time.sleep(2)  # smtpd processes of the old configuration finish their sessions and exit


@contextlib.contextmanager
def main_cf_variant(edit):
    """main.cf changed by edit(text) -> text for the duration of the block, then put back."""
    original = _main_cf().read_text()
    _main_cf().write_text(edit(original))
    _reload()
    try:
        yield
    finally:
        _main_cf().write_text(original)
        _reload()


def build_hash_maps(log) -> dict[str, str]:
    """Writes and postmaps a static map beside each SQL map; returns mysql: -> hash: replacements."""
    folder = paths().var / "bench-maps"
    folder.mkdir(exist_ok=True)
    replacements = {}
    for name, query in HASH_MAPS.items():
        source = folder / name.removeprefix("mysql-").removesuffix(".cf")
        started = time.monotonic()
        with connection.cursor() as cursor, open(source, "w") as output:
            cursor.execute("SET SESSION group_concat_max_len = 65535")
            cursor.execute(query)
            while rows := cursor.fetchmany(50_000):
                output.writelines(f"{key} {value}\n" for key, value in rows)
        # The stack's own main.cf: a host whose Postfix is unconfigured has no /etc/postfix/main.cf.
        subprocess.run(["postmap", "-c", str(paths().postfix_config), f"hash:{source}"], check=True,
                       capture_output=True)
        log(f"  static map {source.name}: {time.monotonic() - started:.1f} s")
        replacements[f"mysql:{paths().postfix_config / name}"] = f"hash:{source}"
    return replacements


def build_tutorial_maps() -> Path:
    """The tutorial's map files, with the stack's connection settings (Postfix's own account)."""
    folder = paths().var / "bench-tutorial-maps"
    folder.mkdir(exist_ok=True)
    bundled = (paths().postfix_config / "mysql-virtual-mailbox-maps.cf").read_text()
    connection_lines = [line for line in bundled.splitlines()
                        if re.match(r"(hosts|dbname|user|password)\s*=", line)]
    for name, query in TUTORIAL_QUERIES.items():
        (folder / name).write_text("\n".join([*connection_lines, f"query = {query}", ""]))
        (folder / name).chmod(0o640)
    return folder


def with_parameters(text: str, values: dict[str, str]) -> str:
    """main.cf with each parameter's value (and its continuation lines) replaced.  Never a second
    entry of the same name: each Postfix process warns of it, postlogd too, to itself, and stalls."""
    for name, value in values.items():
        line = f"{name} = {value}"
        text, found = re.subn(rf"^{name} *=.*(?:\n[ \t].*)*$", lambda _, line=line: line, text, flags=re.MULTILINE)
        if not found:
            text += f"{name} = {value}\n"
    return text


def tutorial_main_cf(folder: Path):
    """main.cf -> main.cf with the tutorial's maps and no recipient access map, milter off."""
    aliases = f"mysql:{folder}/mysql-virtual-alias-maps.cf, mysql:{folder}/mysql-email2email.cf"
    values = {
        "virtual_mailbox_domains": f"mysql:{folder}/mysql-virtual-mailbox-domains.cf",
        "virtual_mailbox_maps": f"mysql:{folder}/mysql-virtual-mailbox-maps.cf",
        "virtual_alias_maps": aliases,
        "mailadmin_smtpd_alias_maps": aliases,
        "smtpd_recipient_restrictions": "reject_non_fqdn_recipient, reject_unknown_recipient_domain,"
                                        " reject_unlisted_recipient",
    }
    return lambda text: with_parameters(without_milter(text), values)


def without_milter(text: str) -> str:
    return re.sub(r"^smtpd_milters = .*$", "smtpd_milters =", text, flags=re.MULTILINE)


def _read_replies(stream, count: int) -> list[int]:
    codes = []
    while len(codes) < count:
        line = stream.readline()
        if not line:
            raise StackError("Postfix closed the connection")
        if line[3:4] == b" ":
            codes.append(int(line[:3]))
    return codes


def _rcpt_session(addresses: list[str], port: int, accepted: list[int]):
    """Sends the addresses as pipelined RCPTs, RCPT_PER_TRANSACTION a transaction, then RSET."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        stream = sock.makefile("rb")
        _read_replies(stream, 1)
        sock.sendall(b"EHLO bench.example\r\n")
        _read_replies(stream, 1)
        count = 0
        for first in range(0, len(addresses), RCPT_PER_TRANSACTION):
            batch = addresses[first:first + RCPT_PER_TRANSACTION]
            commands = [f"MAIL FROM:<{SENDER}>"] + [f"RCPT TO:<{address}>" for address in batch] + ["RSET"]
            sock.sendall("".join(command + "\r\n" for command in commands).encode())
            codes = _read_replies(stream, len(commands))
            count += sum(code == 250 for code in codes[1:-1])
        sock.sendall(b"QUIT\r\n")
        accepted.append(count)


def rcpt_rate(addresses: list[str]) -> float:
    """Recipients accepted per second over CONNECTIONS parallel SMTP sessions."""
    port = settings.MAILSTACK["ports"]["smtp"]
    accepted: list[int] = []
    started = in_parallel([partial(_rcpt_session, addresses[number::CONNECTIONS], port, accepted)
                           for number in range(CONNECTIONS)])
    elapsed = time.perf_counter() - started
    if sum(accepted) != len(addresses):
        raise StackError(f"Postfix accepted {sum(accepted)} of {len(addresses)} recipients (all exist)")
    return len(addresses) / elapsed


def _active_addresses(count: int, seed: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM virtual_users")
        top = cursor.fetchone()[0]
        picks = random.Random(seed).sample(range(1, top + 1), min(count * 2, top))
        cursor.execute(f"SELECT email FROM virtual_users WHERE active=1 AND id IN ({','.join(map(str, picks))})")
        return [row[0] for row in cursor.fetchall()][:count]


def measure_rcpt(*, recipients: int, repeat: int, log) -> dict:
    """SQL and static maps in turn, `repeat` times, each time with other random addresses; the
    milter is off in all, so that the figure is that of the lookups.  The SQL maps are measured
    twice over the same addresses: cold (recipients not seen before) and warm (the same
    recipients again at once, as a cache in front of the database would see them).  The
    tutorial's maps are measured the same way on addresses of their own (also new to the stack)."""
    replacements = build_hash_maps(log)
    tutorial = tutorial_main_cf(build_tutorial_maps())

    def static(text):
        for sql_map, hash_map in replacements.items():
            text = text.replace(sql_map, hash_map)
        return without_milter(text)

    rates = {"sql_cold": [], "sql_warm": [], "hash": [], "tutorial_cold": [], "tutorial_warm": []}
    # Each run's addresses are new to the stack: no run's cold pass sees an address an earlier run warmed.
    # (A stack with fewer mailboxes than that gets fewer recipients per run, the same for each variant.)
    every = _active_addresses(recipients * repeat * 2, seed=0)
    per_run = min(recipients, len(every) // (repeat * 2))
    for attempt in range(repeat):
        addresses = every[attempt * per_run:(attempt + 1) * per_run]
        others = every[(repeat + attempt) * per_run:(repeat + attempt + 1) * per_run]
        for variant, edit, chosen in (("sql", without_milter, addresses), ("tutorial", tutorial, others)):
            with main_cf_variant(edit):
                for warmth in ("cold", "warm"):
                    rates[f"{variant}_{warmth}"].append(rcpt_rate(chosen))
                    label = "bundled" if variant == "sql" else "the tutorial's"
                    log(f"  RCPT, {label} SQL maps, {warmth}: {rates[f'{variant}_{warmth}'][-1]:,.0f} recipients/s")
        with main_cf_variant(static):
            rates["hash"].append(rcpt_rate(addresses))
        log(f"  RCPT, static maps: {rates['hash'][-1]:,.0f} recipients/s")

    def ratio(numerator, denominator):
        return summary([top / bottom for top, bottom in zip(rates[numerator], rates[denominator], strict=True)])

    return {"recipients": len(addresses), "connections": CONNECTIONS,
            **{variant: summary(values) for variant, values in rates.items()},
            "ratio_cold": ratio("sql_cold", "hash"), "ratio_warm": ratio("sql_warm", "hash"),
            "tutorial_ratio_cold": ratio("sql_cold", "tutorial_cold"),
            "tutorial_ratio_warm": ratio("sql_warm", "tutorial_warm")}


def _delivered(homes: list[Path]) -> int:
    return sum(1 for home in homes for _ in home.glob("Maildir/**/new/*"))  # INBOX and Junk


def _send(messages: list[EmailMessage], port: int, errors: list):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
            for message in messages:
                client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        errors.append(error)


def delivery_rate(count: int, recipients: list[str], tag: str, timeout: float = 900) -> float:
    """Messages per second from the first SMTP connection to the last file in a Maildir."""
    port = settings.MAILSTACK["ports"]["smtp"]
    vmail = Path(settings.MAILSTACK["vmail_dir"])
    homes = [vmail / address.split("@")[1] / address.split("@")[0] for address in recipients]
    before = _delivered(homes)
    messages = []
    for number in range(count):
        message = EmailMessage()
        message["From"], message["To"] = SENDER, recipients[number % len(recipients)]
        message["Subject"] = f"Benchmark {tag} {number}"
        message.set_content("A short ordinary message about the meeting on Thursday.\n" * 20)
        messages.append(message)
    errors: list = []
    started = in_parallel([partial(_send, messages[number::CONNECTIONS], port, errors)
                           for number in range(CONNECTIONS)])
    if errors:
        raise StackError(f"sending failed: {errors[0]}")
    deadline = time.monotonic() + timeout
    while _delivered(homes) < before + count:
        if time.monotonic() > deadline:
            raise StackError(f"only {_delivered(homes) - before} of {count} messages delivered in {timeout:.0f} s")
        time.sleep(0.05)
    return count / (time.perf_counter() - started)


def measure_delivery(*, messages: int, repeat: int, log) -> dict:
    recipients = _active_addresses(20, seed=99)
    rates = {"spamassassin": [], "no_filter": []}
    for attempt in range(repeat):
        rates["spamassassin"].append(delivery_rate(max(messages // 4, 10), recipients, f"sa{attempt}"))
        log(f"  delivery with SpamAssassin: {rates['spamassassin'][-1]:.1f} messages/s")
        with main_cf_variant(without_milter):
            rates["no_filter"].append(delivery_rate(messages, recipients, f"plain{attempt}"))
        log(f"  delivery without the milter: {rates['no_filter'][-1]:.1f} messages/s")
    return {"messages": messages, "messages_with_spamassassin": max(messages // 4, 10),
            **{variant: summary(values) for variant, values in rates.items()}}
