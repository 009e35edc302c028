"""What the figures were measured on: the CPU, memory, load and the versions of every part."""
import os
import platform
import re
import subprocess
import sys
import time

import django


def _first_line(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else "unknown"


def _cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read(), re.MULTILINE)
    return found.group(1) if found else platform.processor() or "unknown"


def _memory_gib() -> float:
    with open("/proc/meminfo") as meminfo:
        kib = int(re.search(r"^MemTotal:\s*(\d+)", meminfo.read(), re.MULTILINE).group(1))
    return kib / 2**20


def _debian() -> str:
    try:
        with open("/etc/debian_version") as version:
            return version.read().strip()
    except OSError:
        return "unknown"


def cpu_probe_seconds() -> float:
    """CPU seconds of one fixed piece of work (ten million additions in Python): on a shared virtual
    machine one core's speed changes from hour to hour (seen here: 0.74 s to 1.33 s), so every figure
    is given beside the probe taken when it was measured."""
    started = time.process_time()
    total = 0
    for number in range(10**7):
        total += number
    return round(time.process_time() - started, 2)


def describe() -> dict:
    import gunicorn

    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "cpu_probe_seconds": cpu_probe_seconds(),
        "kernel": platform.release(),
        "debian": _debian(),
        "mariadb": _first_line(["mariadbd", "--version"]),
        "postfix": _first_line(["postconf", "-d", "-h", "mail_version"]),
        "dovecot": _first_line(["dovecot", "--version"]),
        "spamassassin": _first_line(["spamassassin", "--version"]),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
    }
