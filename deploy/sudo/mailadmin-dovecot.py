#!/usr/bin/python3 -I
"""mailadmin's root-owned helper: the only Dovecot operations a panel running as an unprivileged
user may have root do, through the sudo rule of deploy/sudo/mailadmin.sudoers:

    mailadmin-dovecot kick ADDRESS|*@DOMAIN            end the IMAP, POP3 and ManageSieve sessions
    mailadmin-dovecot flush-auth-cache [ADDRESS...]    drop cached logins (all without addresses)
    mailadmin-dovecot sieve-put ADDRESS < SCRIPT       store the mailbox's self-service Sieve script
    mailadmin-dovecot postfix-rejects [CURSOR]         Postfix's SMTP refusals in the journal after CURSOR

Standard library only and run by `python3 -I`: nothing of the caller's environment reaches it,
doveadm or journalctl, only the arguments and (for sieve-put) stdin, and each is checked first.
doveadm runs with DOVECOT_CONFIG, written into the installed copy of this file: the caller has no
say in it.  Exit status: 0 done; 64 arguments refused; 65 script refused; 69 doveadm (journalctl)
could not run; otherwise doveadm's own (68: kick found no session, or the user is unknown).  Why,
on stderr.

postfix-rejects reads the journal for /metrics (mailstack/postfix_rejections.py, which classifies
the lines and keeps the cursor): only entries the journal itself attributes to Postfix's unit
(_SYSTEMD_UNIT is set by journald from the sender's cgroup; no other program can claim it), at
most MAX_JOURNAL_ENTRIES per call, and of those only the refusals' text ("reject: " in it) leaves
this script.  Without a cursor it reads nothing and answers the journal's end, where the next
call starts.  Output: one JSON object {"cursor": "...", "lines": ["NOQUEUE: reject: ...", ...]}.
"""
import json
import os
import re
import subprocess
import sys
import time
import unicodedata

DOVECOT_CONFIG = "/etc/dovecot/dovecot.conf"  # replaced when installed (mailstack.privileged.files_to_install)
DOVEADM = "/usr/bin/doveadm"
JOURNALCTL = "/usr/bin/journalctl"
POSTFIX_UNIT = "postfix@-.service"  # mailstack.production.services: Debian's instance that runs Postfix
# Postfix's entries read per call, and for how long at most: a scrape after a long pause stays
# short (below the panel's timeout, so the cursor always moves on) and the next ones read the rest.
MAX_JOURNAL_ENTRIES = 20000
MAX_JOURNAL_SECONDS = 2
# What journalctl prints as an entry's cursor (sd_journal_get_cursor): nothing it could take as an option.
CURSOR = re.compile("s=[0-9a-f]{32};i=[0-9a-f]{1,16};b=[0-9a-f]{32};"
                    "m=[0-9a-f]{1,16};t=[0-9a-f]{1,16};x=[0-9a-f]{1,16}")
ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
SIEVE_SCRIPT = "mailadmin"  # domains.mailserver.SIEVE_SCRIPT
MAX_SCRIPT_OCTETS = 64 * 1024  # the panel's largest script is below 24 KiB (5000 characters of 4 octets)
MAX_ADDRESSES = 100

REFUSED, SCRIPT_REFUSED, UNAVAILABLE = 64, 65, 69

# The characters the panel refuses in any local part (domains/addresses.py), "@", and doveadm's
# user-mask wildcards, which would turn an address into a pattern.
FORBIDDEN = set(',;:<>()[]"\\`%!@*?')
LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class Refused(Exception):
    pass


def domain(name: str) -> str:
    """An ASCII domain name as the panel stores it (IDN as A-labels)."""
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or labels[-1].isdigit() \
            or not all(LABEL.fullmatch(label) for label in labels):
        raise Refused(f"not a domain name: {name!r}")
    return name


def address(text: str) -> str:
    """An address as the panel allows one: a UTF-8 local part of at most 64 octets without white
    space, control or invisible characters or the panel's forbidden characters; no pattern.  A local
    part may start with "-" (the panel allows it): doveadm gets every address after "--" or as the
    value of -u, never where it could be read as an option."""
    local, at, name = text.rpartition("@")
    if not at or not local:
        raise Refused(f"not an address: {text!r}")
    domain(name)
    if local.startswith(".") or local.endswith(".") or ".." in local \
            or len(local.encode()) > 64 or len(text.encode()) > 254 \
            or any(ch in FORBIDDEN or ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in local):
        raise Refused(f"not an address: {text!r}")
    return text


def kick_target(text: str) -> str:
    """An address, or every user of one domain (`*@example.org`): the only pattern allowed."""
    return "*@" + domain(text[2:]) if text.startswith("*@") else address(text)


def arguments() -> list[str]:
    """The arguments as the caller's bytes, read as UTF-8 whatever the locale."""
    try:
        return [os.fsencode(argument).decode("utf-8") for argument in sys.argv[1:]]
    except UnicodeDecodeError:
        raise Refused("arguments must be UTF-8") from None


def journal_cursor(text: str) -> str:
    if not CURSOR.fullmatch(text):
        raise Refused(f"not a journal cursor: {text[:200]!r}")
    return text


def message(entry: dict) -> str:
    """An entry's MESSAGE: journalctl's JSON gives text that is not UTF-8 as a list of octets."""
    text = entry.get("MESSAGE") or ""
    return bytes(text).decode(errors="replace") if isinstance(text, list) else str(text)


def rejects(entries, cursor: str | None, deadline: float = float("inf")) -> tuple[dict, bool]:
    """The refusals among journalctl's JSON `entries` (lines) and the cursor of the last entry read
    (`cursor` when none was); whether all were read (else MAX_JOURNAL_ENTRIES were, or the
    `deadline` of time.monotonic() came)."""
    lines = []
    for count, line in enumerate(entries):
        if count == MAX_JOURNAL_ENTRIES or time.monotonic() > deadline:
            return {"cursor": cursor, "lines": lines}, False
        entry = json.loads(line)
        cursor = entry["__CURSOR"]
        if "reject: " in (text := message(entry)):
            lines.append(text)
    return {"cursor": cursor, "lines": lines}, True


def journal(cursor: str | None) -> dict:
    """Postfix's refusals after `cursor`; without one, no lines and the cursor of the journal's end."""
    if cursor is None:
        arguments = ["--lines=1", "--output-fields=__CURSOR"]
    else:
        arguments = [f"--after-cursor={cursor}", "--output-fields=MESSAGE", f"_SYSTEMD_UNIT={POSTFIX_UNIT}"]
    with subprocess.Popen([JOURNALCTL, "--quiet", "--no-pager", "--output=json", *arguments],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=ENVIRONMENT) as reader:
        found, complete = rejects(reader.stdout, cursor, time.monotonic() + MAX_JOURNAL_SECONDS)
        if not complete:
            reader.kill()  # the rest is for the next call
        elif reader.wait(timeout=60) != 0:
            raise OSError(f"journalctl failed: {reader.stderr.read(500).decode(errors='replace').strip()}")
    return found if cursor is not None else {"cursor": found["cursor"], "lines": []}


def command(words: list[str]) -> tuple[list[str], bytes | None]:
    """The doveadm arguments for the caller's words, and its stdin; Refused if anything is off."""
    if not words:
        raise Refused("usage: kick ADDRESS|*@DOMAIN | flush-auth-cache [ADDRESS...] | sieve-put ADDRESS"
                      " | postfix-rejects [CURSOR]")
    action, rest = words[0], words[1:]
    if action == "kick" and len(rest) == 1:
        return ["kick", "--", kick_target(rest[0])], None
    if action == "flush-auth-cache" and len(rest) <= MAX_ADDRESSES:
        return ["auth", "cache", "flush", "--", *map(address, rest)], None
    if action == "sieve-put" and len(rest) == 1:
        user = address(rest[0])
        script = sys.stdin.buffer.read(MAX_SCRIPT_OCTETS + 1)
        if len(script) > MAX_SCRIPT_OCTETS:
            raise Refused(f"the script is larger than {MAX_SCRIPT_OCTETS} octets", SCRIPT_REFUSED)
        try:
            script.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("the script is not UTF-8", SCRIPT_REFUSED) from None
        return ["sieve", "put", "-u", user, SIEVE_SCRIPT], script
    raise Refused(f"refused: {' '.join(words)[:200]!r}")


def main() -> int:
    try:
        words = arguments()
        if words[:1] == ["postfix-rejects"] and len(words) <= 2:
            cursor = journal_cursor(words[1]) if len(words) == 2 else None
            return postfix_rejects(cursor)
        doveadm_arguments, stdin = command(words)
    except Refused as refusal:
        message, *status = refusal.args
        print(f"mailadmin-dovecot: {message}", file=sys.stderr)
        return status[0] if status else REFUSED
    try:
        result = subprocess.run([DOVEADM, "-c", DOVECOT_CONFIG, *doveadm_arguments], input=stdin,
                                stdin=None if stdin is not None else subprocess.DEVNULL,
                                capture_output=True, env=ENVIRONMENT, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"mailadmin-dovecot: doveadm could not run: {error}", file=sys.stderr)
        return UNAVAILABLE
    sys.stdout.buffer.write(result.stdout)
    sys.stderr.buffer.write(result.stderr)
    return result.returncode


def postfix_rejects(cursor: str | None) -> int:
    try:
        found = journal(cursor)
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as error:
        print(f"mailadmin-dovecot: journalctl could not be read: {error!r}", file=sys.stderr)
        return UNAVAILABLE
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
