"""CPU time and memory of a daemon and every process below it, read from /proc.

A daemon's CPU time counts its children that have already ended (cutime, cstime: the daemon
waited for them) and those still running, so a short-lived process (an IMAP session, an SMTP
client) is counted whether or not it ended within the measured span."""
import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # after "pid (comm) "; a comm may hold spaces


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def tree(pid: int, children: dict[int, list[int]] | None = None) -> list[int]:
    children = _children() if children is None else children
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children.get(current, [])
    return found


def cpu_seconds(pid: int, children: dict[int, list[int]] | None = None) -> float:
    """CPU seconds (user and system) of `pid`, its running descendants and the ended ones it reaped."""
    total = 0
    for number, member in enumerate(tree(pid, children)):
        fields = _stat(member)
        if fields is None:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if number == 0:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / TICKS


def resident_bytes(pid: int, children: dict[int, list[int]] | None = None) -> int:
    """Resident memory of `pid` and its running descendants (shared pages counted in each)."""
    total = 0
    for member in tree(pid, children):
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
    return total


def sample(pids: dict[str, int]) -> dict[str, dict[str, float]]:
    """{name: {"cpu_seconds", "rss_bytes"}} for each named daemon, from one listing of /proc."""
    children = _children()
    return {name: {"cpu_seconds": cpu_seconds(pid, children), "rss_bytes": resident_bytes(pid, children)}
            for name, pid in pids.items()}


def unit_pids(units: list[str]) -> dict[str, int]:
    """{unit: its main process} of the systemd units that run (MainPID), or of UNIT=PIDFILE (a unit
    without a MainPID, such as Postfix's, which runs `postmulti ... start` with GuessMainPID=no)."""
    import subprocess

    found = {}
    for unit in units:
        if "=" in unit:
            unit, pidfile = unit.split("=", 1)
            answer = Path(pidfile).read_text() if Path(pidfile).exists() else ""
        else:
            answer = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", unit],
                                    capture_output=True, text=True, check=False).stdout
        if answer.strip().isdigit() and int(answer):
            found[unit] = int(answer)
    return found


if __name__ == "__main__":  # python3 processes.py UNIT[=PIDFILE]...: one sample of those units, as JSON
    import json
    import sys
    import time

    print(json.dumps({"time": time.time(), "units": sample(unit_pids(sys.argv[1:]))}))
