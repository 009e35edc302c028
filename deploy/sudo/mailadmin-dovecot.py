#!/usr/bin/python3 -I
"""mailadmin's root-owned helper: the only Dovecot operations a panel running as an unprivileged
user may have root do, through the sudo rule of deploy/sudo/mailadmin.sudoers:

    mailadmin-dovecot kick ADDRESS|*@DOMAIN            end the IMAP, POP3 and ManageSieve sessions
    mailadmin-dovecot flush-auth-cache [ADDRESS...]    drop cached logins (all without addresses)
    mailadmin-dovecot sieve-put ADDRESS < SCRIPT       store the mailbox's self-service Sieve script

Standard library only and run by `python3 -I`: nothing of the caller's environment reaches it or
doveadm, only the arguments and (for sieve-put) stdin, and each is checked before doveadm runs.
doveadm runs with DOVECOT_CONFIG, written into the installed copy of this file: the caller has no
say in it.  Exit status: 0 done; 64 arguments refused; 65 script refused; 69 doveadm could not
run; otherwise doveadm's own (68: kick found no session, or the user is unknown).  Why, on stderr.
"""
import os
import re
import subprocess
import sys
import unicodedata

DOVECOT_CONFIG = "/etc/dovecot/dovecot.conf"  # replaced when installed (mailstack.privileged.files_to_install)
DOVEADM = "/usr/bin/doveadm"
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
    space, control or invisible characters or the panel's forbidden characters; no option, no pattern."""
    local, at, name = text.rpartition("@")
    if not at or not local:
        raise Refused(f"not an address: {text!r}")
    domain(name)
    if local.startswith(("-", ".")) or local.endswith(".") or ".." in local \
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


def command(words: list[str]) -> tuple[list[str], bytes | None]:
    """The doveadm arguments for the caller's words, and its stdin; Refused if anything is off."""
    if not words:
        raise Refused("usage: kick ADDRESS|*@DOMAIN | flush-auth-cache [ADDRESS...] | sieve-put ADDRESS")
    action, rest = words[0], words[1:]
    if action == "kick" and len(rest) == 1:
        return ["kick", kick_target(rest[0])], None
    if action == "flush-auth-cache" and len(rest) <= MAX_ADDRESSES:
        return ["auth", "cache", "flush", *map(address, rest)], None
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
        doveadm_arguments, stdin = command(arguments())
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


if __name__ == "__main__":
    sys.exit(main())
