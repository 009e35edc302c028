"""A lab host booted with systemd as process 1: systemd-nspawn over an overlay of the machine's /.

Every write of the host goes to its overlay's upper folder, so the machine keeps its own /etc,
/var and services. The host joins a network namespace made beforehand (tests/lab/network.py)
and has nothing else to talk to. Units the host must not run are masked in the overlay before
it boots.
"""
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.lab import network

BOOT_TIMEOUT = 90
# Commands inside a host start from root's login environment, not from the test run's.
CLEAN_ENVIRONMENT = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                     "LANG": "C.UTF-8", "TERM": "dumb"}


class Container:
    def __init__(self, name, folder, netns, hostname):
        self.name, self.netns, self.hostname = name, netns, hostname
        self.folder = Path(folder)
        self.root = self.folder / "root"
        self.nspawn = None
        self.pid = None  # the container's systemd, as the machine sees it

    # -- file system -------------------------------------------------------------------------
    def mount(self):
        for part in ("upper", "work", "root"):
            (self.folder / part).mkdir(parents=True)
        network.run("mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir=/,upperdir={self.folder / 'upper'},workdir={self.folder / 'work'}", str(self.root))

    def path(self, inside):
        """The machine's path of a file inside the host (writes go to the overlay)."""
        return self.root / str(inside).lstrip("/")

    def write(self, inside, text, mode=0o644):
        target = self.path(inside)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_text(text)
        target.chmod(mode)

    def mask(self, *units):
        for unit in units:
            link = self.path(f"/etc/systemd/system/{unit}")
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to("/dev/null")

    def enabled_services(self):
        """The services the machine (and so this host) starts at boot."""
        wants = self.path("/etc/systemd/system")
        return sorted({link.name for link in wants.glob("*.wants/*.service")})

    # -- process ------------------------------------------------------------------------------
    def boot(self):
        """Starts the host; `wait_booted` waits until its systemd has started everything."""
        log = open(self.folder / "console.log", "wb")
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-q", "-D", str(self.root), f"--machine={self.name}", f"--hostname={self.hostname}",
             "--register=no", "--keep-unit", "--link-journal=no", "--resolv-conf=off", "--timezone=off",
             "--console=read-only", f"--network-namespace-path={network.netns_path(self.netns)}", "--boot"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_booted(self):
        deadline = time.monotonic() + BOOT_TIMEOUT
        while self.pid is None:
            assert self.nspawn.poll() is None, f"{self.name} did not boot: see {self.folder / 'console.log'}"
            assert time.monotonic() < deadline, f"{self.name}: no systemd after {BOOT_TIMEOUT} s"
            self.pid = init_of(self.netns)
            time.sleep(0.2)
        while True:
            state = self.run("systemctl", "is-system-running", check=False, timeout=10).stdout.strip()
            if state in ("running", "degraded"):
                return state
            assert time.monotonic() < deadline, f"{self.name} still {state!r} after {BOOT_TIMEOUT} s"
            time.sleep(0.5)

    def run(self, *command, check=True, timeout=60, input=None, env=None, cwd="/"):
        """Runs a command inside the host (all its namespaces), as root, in `cwd`."""
        environment = {**CLEAN_ENVIRONMENT, **(env or {})}
        # Not nsenter's --wd: it keeps the machine's directory, which the host's root cannot see.
        prefix = ["nsenter", "-t", str(self.pid), "-a", "env", "-i", *(f"{k}={v}" for k, v in environment.items()),
                  "sh", "-c", 'cd "$0" && exec "$@"', cwd]
        return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True,
                              timeout=timeout, input=input)

    def poweroff(self, timeout=30):
        if self.nspawn is None:
            return
        if self.pid and self.nspawn.poll() is None:
            subprocess.run(["nsenter", "-t", str(self.pid), "-a", "systemctl", "poweroff", "--no-block"],
                           capture_output=True, timeout=10)
            try:
                self.nspawn.wait(timeout)
            except subprocess.TimeoutExpired:
                kill_init(self.pid)
        if self.nspawn.poll() is None:
            os.killpg(self.nspawn.pid, signal.SIGKILL)
        self.nspawn.wait(10)

    def remove(self):
        umount(self.root)
        shutil.rmtree(self.folder, ignore_errors=True)


def init_of(netns):
    """The PID (as the machine sees it) of a process 1 of its own PID namespace in `netns`."""
    pids = network.run("ip", "netns", "pids", netns, check=False).stdout.split()
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        nspid = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
        if len(nspid) > 1 and nspid[-1] == "1":
            return int(pid)
    return None


def kill_init(pid):
    """SIGKILL to a container's process 1 ends every process of its PID namespace."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def umount(path):
    if subprocess.run(["umount", str(path)], capture_output=True).returncode:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
