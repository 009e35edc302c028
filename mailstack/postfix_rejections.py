"""SMTP rejections counted from Postfix's log, for /metrics (docs/metrics.md).

Postfix keeps no counters of its own: each refusal is one `NOQUEUE: reject:` (or
`milter-reject:`) line in its log.  A scrape reads only the lines written since the last one:
the offset reached and the totals so far live in a small state file beside the log, updated under
a lock, so every gunicorn worker adds to the same totals.  A new log file (rotated, or shorter
than the offset) is read from its start; the totals keep counting.

Reason classes stay few and fixed (a Prometheus label must not take unbounded values)."""
import fcntl
import json
import os
import re
from pathlib import Path

from mailstack.config import paths

# "NOQUEUE: reject: RCPT from h[a]: 550 5.1.1 <x>: ..."; "milter-reject: END-OF-MESSAGE from h[a]: 5.7.1 ..."
REJECT = re.compile(r"(?:NOQUEUE: reject|milter-reject): ([A-Z]+(?:-[A-Z]+)*) from \S+: "
                    r"(?:([45])\d\d )?(?:([45])\.\d+\.\d+ )?(.*)$")
# The first pattern that matches names the reason; "other" when none does.
REASONS = (
    ("unknown_recipient", re.compile(r"User unknown|Recipient address rejected: undeliverable", re.I)),
    ("relay_denied", re.compile(r"Relay access denied", re.I)),
    ("mailbox_full", re.compile(r"Mailbox is full|5\.2\.2", re.I)),
    ("sender_not_owned", re.compile(r"not owned by user", re.I)),
    ("blocklist", re.compile(r"blocked using|Service unavailable; client", re.I)),
    ("spam", re.compile(r"spam|SpamAssassin", re.I)),
    ("sender", re.compile(r"Sender address rejected", re.I)),
    ("client", re.compile(r"Client host rejected|Helo command rejected", re.I)),
    ("lookup_failure", re.compile(r"Temporary lookup failure", re.I)),
    ("authentication", re.compile(r"authentication", re.I)),
)
READ_AT_MOST = 64 * 1024 * 1024  # bytes per scrape: a scrape stays bounded after a long pause


def log_file() -> Path | None:
    """Postfix's own log file, when it writes one (the bundled stack; production logs to syslog)."""
    return None if _production() else paths().log / "postfix.log"


def _production() -> bool:
    from mailstack import health

    return health.installed()


def reason_of(text: str) -> str:
    text = text.split("; from=<", 1)[0]  # the reply alone, not the addresses after it
    return next((name for name, pattern in REASONS if pattern.search(text)), "other")


def counts() -> dict[tuple[str, str, str], int] | None:
    """{(stage, reason, code class "4xx"/"5xx"): rejections so far}, or None without a log to read."""
    log = log_file()
    if log is None or not log.exists():
        return None
    state_path = log.parent / "smtp-rejections.json"
    with open(state_path, "a+") as state_file:
        fcntl.flock(state_file, fcntl.LOCK_EX)
        state_file.seek(0)
        try:
            state = json.loads(state_file.read() or "{}")
        except ValueError:
            state = {}
        totals = state.get("totals", {})
        status = os.stat(log)
        offset = state.get("offset", 0)
        if state.get("inode") != status.st_ino or status.st_size < offset:
            offset = 0
        with open(log, "rb") as stream:
            stream.seek(offset)
            chunk = stream.read(READ_AT_MOST)
        complete = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next scrape
        for line in complete.decode(errors="replace").splitlines():
            if (found := REJECT.search(line)) is not None:
                code = found.group(2) or found.group(3) or "5"
                key = "|".join((found.group(1), reason_of(found.group(4)), f"{code}xx"))
                totals[key] = totals.get(key, 0) + 1
        state = {"inode": status.st_ino, "offset": offset + len(complete), "totals": totals}
        state_file.seek(0)
        state_file.truncate()
        state_file.write(json.dumps(state))
    return {tuple(key.split("|")): value for key, value in totals.items()}
