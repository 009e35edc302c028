"""Network namespaces, links, addresses and routes of the lab, with iproute2.

Every name the lab creates starts with PREFIX, so a crashed run's namespaces are found and
removed by the next run. Links are created directly inside their namespaces (`ip -n`), so no
interface of the lab ever exists in the machine's own namespace.
"""
import ipaddress
import os
import signal
import subprocess
import time
from pathlib import Path

PREFIX = "mlab-"
NETNS_DIR = Path("/run/netns")

# The only ranges the lab uses (RFC 5737, RFC 3849): every route of a lab host points into them.
DOCUMENTATION_RANGES = [ipaddress.ip_network(net) for net in
                        ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]


def run(*args, check=True, timeout=30):
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


def ip(*args, netns=None, check=True):
    return run("ip", *(["-n", netns] if netns else []), *args, check=check)


def lab_namespaces():
    """The lab namespaces that exist now (also those of a crashed run)."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(path.name for path in NETNS_DIR.iterdir() if path.name.startswith(PREFIX))


def netns_path(name):
    return NETNS_DIR / name


def add_namespace(name):
    """A namespace with only its loopback up, and no router advertisements or DAD delays."""
    assert name.startswith(PREFIX), name
    ip("netns", "add", name)
    ip("link", "set", "lo", "up", netns=name)
    for setting in ("net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                    "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"):
        run("ip", "netns", "exec", name, "sysctl", "-qw", setting)


def delete_namespace(name):
    """Removes a namespace; its veth ends go with it (and so do their peers)."""
    ip("netns", "del", name, check=False)


def enable_forwarding(name):
    run("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    run("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")


def add_bridge(netns, bridge, addresses):
    ip("link", "add", bridge, "type", "bridge", netns=netns)
    for address in addresses:
        add_address(netns, bridge, address)
    ip("link", "set", bridge, "up", netns=netns)


def add_veth(netns, name, peer_netns, peer_name, bridge=None):
    """A veth pair from `netns` to `peer_netns`, both ends up; `bridge` enslaves the first end."""
    ip("link", "add", name, "type", "veth", "peer", "name", peer_name, "netns", peer_netns, netns=netns)
    if bridge:
        ip("link", "set", name, "master", bridge, netns=netns)
    ip("link", "set", name, "up", netns=netns)
    ip("link", "set", peer_name, "up", netns=peer_netns)


def add_address(netns, device, address):
    args = ["address", "add", address, "dev", device]
    if ":" in address:
        args.append("nodad")
    ip(*args, netns=netns)


def add_route(netns, destination, gateway):
    ip("-6" if ":" in destination else "-4", "route", "add", destination, "via", gateway, netns=netns)


def routes(netns):
    """The routing table of a namespace (IPv4 and IPv6 `main` tables), as `ip route` prints it."""
    return [line for family in ("-4", "-6")
            for line in ip(family, "route", "show", "table", "main", netns=netns).stdout.splitlines()]


def spawn(netns, command, log, env=None):
    """Starts a daemon in a namespace, in the foreground of its own session; output to `log`."""
    with open(log, "ab") as output:
        return subprocess.Popen(["ip", "netns", "exec", netns, *command], stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)


def kill_all_in(netns):
    """SIGKILL to every process in a namespace (a crashed run's daemons and containers)."""
    for pid in run("ip", "netns", "pids", netns, check=False).stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_port(netns, address, port, process=None, timeout=20):
    """Waits until something in `netns` accepts TCP connections on address:port."""
    probe = f"import socket; socket.create_connection(('{address}', {port}), timeout=1).close()"
    deadline = time.monotonic() + timeout
    while run("ip", "netns", "exec", netns, "python3", "-c", probe, check=False).returncode:
        assert process is None or process.poll() is None, f"{process.args} exited"
        assert time.monotonic() < deadline, f"nothing on {address}:{port} after {timeout} s"
        time.sleep(0.3)
