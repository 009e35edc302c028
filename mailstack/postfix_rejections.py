"""SMTP rejections counted from Postfix's log, for /metrics (docs/metrics.md).

Postfix keeps no counters of its own: each refusal is one `NOQUEUE: reject:` (or
`milter-reject:`) line in its log.  A scrape reads only the lines written since the last one and
adds them to the totals so far; the place reached and the totals live in a small state file,
updated under a lock, so every gunicorn worker adds to the same totals.

- The bundled stack: Postfix's own log file.  The state file lies beside it and holds the offset
  reached; a new log file (rotated, or shorter than the offset) is read from its start.
- An installed host: Postfix logs to the journal, which the panel's user cannot read.  The
  root-owned helper (mailstack/privileged.py, `postfix-rejects`) reads Postfix's entries after the
  journal cursor kept in the state file and hands over only the refusals' lines; classifying them
  stays here.  The state file is in the panel unit's runtime folder, emptied when the panel
  starts: the first scrape after a start takes the journal's end and counts from there, like the
  panel's own counters.

Reason classes stay few and fixed (a Prometheus label must not take unbounded values)."""
import fcntl
import json
import os
import re
from pathlib import Path

from mailstack import privileged
from mailstack.config import paths

# "NOQUEUE: reject: RCPT from h[a]: 550 5.1.1 <x>: ..." (a queue ID instead of NOQUEUE once the
# message has a queue file: a recipient refused after another one was taken);
# "milter-reject: END-OF-MESSAGE from h[a]: 5.7.1 ..."
REJECT = re.compile(r"(?:[0-9A-Za-z]+: reject|milter-reject): ([A-Z]+(?:-[A-Z]+)*) from \S+: "
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
# The panel unit's RuntimeDirectory (deploy/systemd/mailadmin.service), the panel's user's alone.
PRODUCTION_STATE = Path("/run/mailadmin-metrics/smtp-rejections.json")
HELPER_TIMEOUT = 5  # seconds; the helper reads at most its MAX_JOURNAL_ENTRIES entries per call


def log_file() -> Path | None:
    """Postfix's own log file, when it writes one (the bundled stack; an installed host logs to the journal)."""
    return None if _production() else paths().log / "postfix.log"


def _production() -> bool:
    from mailstack import health

    return health.installed()


def reason_of(text: str) -> str:
    text = text.split("; from=<", 1)[0]  # the reply alone, not the addresses after it
    return next((name for name, pattern in REASONS if pattern.search(text)), "other")


def counts() -> dict[tuple[str, str, str], int] | None:
    """{(stage, reason, code class "4xx"/"5xx"): rejections so far}, or None without a log to read."""
    if _production():
        return _counted(PRODUCTION_STATE, _from_journal)
    log = log_file()
    if log is None or not log.exists():
        return None
    return _counted(log.parent / "smtp-rejections.json", lambda state: _from_file(log, state))


def _counted(state_path: Path, read) -> dict[tuple[str, str, str], int] | None:
    """Under the state file's lock: `read(state)` gives the new lines and the place reached (or
    None when the log cannot be read); their refusals are added to the totals kept there."""
    try:
        state_file = open(state_path, "a+")
    except OSError:  # no runtime folder: not the panel's unit (a manage.py command on the host)
        return None
    with state_file:
        fcntl.flock(state_file, fcntl.LOCK_EX)
        state_file.seek(0)
        try:
            state = json.loads(state_file.read() or "{}")
        except ValueError:
            state = {}
        totals = state.get("totals", {})
        if (found := read(state)) is None:
            return None
        lines, place = found
        for line in lines:
            if (refusal := REJECT.search(line)) is not None:
                code = refusal.group(2) or refusal.group(3) or "5"
                key = "|".join((refusal.group(1), reason_of(refusal.group(4)), f"{code}xx"))
                totals[key] = totals.get(key, 0) + 1
        state_file.seek(0)
        state_file.truncate()
        state_file.write(json.dumps(place | {"totals": totals}))
    return {tuple(key.split("|")): value for key, value in totals.items()}


def _from_file(log: Path, state: dict) -> tuple[list[str], dict]:
    status = os.stat(log)
    offset = state.get("offset", 0)
    if state.get("inode") != status.st_ino or status.st_size < offset:
        offset = 0
    with open(log, "rb") as stream:
        stream.seek(offset)
        chunk = stream.read(READ_AT_MOST)
    complete = chunk[:chunk.rfind(b"\n") + 1]  # a line still being written waits for the next scrape
    return complete.decode(errors="replace").splitlines(), {"inode": status.st_ino, "offset": offset + len(complete)}


def _from_journal(state: dict) -> tuple[list[str], dict] | None:
    try:
        cursor, lines = privileged.postfix_rejects(state.get("cursor"), timeout=HELPER_TIMEOUT)
    except privileged.HelperError:
        return None
    return lines, {"cursor": cursor}
