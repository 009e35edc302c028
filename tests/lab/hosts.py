"""The lab: a small internet in network namespaces, built and torn down by `Lab` (a context manager).

    router   forwards between the three subnets; no default route anywhere
    dns      ns.example.net      192.0.2.53     2001:db8:53::53   nsd + unbound (tests/lab/dns.py)
    mx       mx.example.net      192.0.2.25     2001:db8:25::25   container booted with systemd
    acme     acme.example.net    192.0.2.100    2001:db8:53::100  pebble, the ACME server
    remote   remote.example.com  198.51.100.25  2001:db8:100::25  container, Debian's Postfix
    client   client.example.com  203.0.113.50   2001:db8:113::50  namespace for curl, Python, Chromium

Everything lives under one folder, RUN_ROOT/<run id>/; a run first removes what a crashed run
left behind (processes in the lab's namespaces, overlay mounts, namespaces, folders).
"""
import contextlib
import fcntl
import ipaddress
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.lab import dns, far_end, network
from tests.lab.container import Container, umount
from tests.lab.pki import CA

RUN_ROOT = Path("/var/lib/mailadmin-lab")
CHECKOUT = Path(__file__).resolve().parents[2]
MAIL_DOMAIN = "example.org"


@dataclass(frozen=True)
class Host:
    name: str
    fqdn: str
    ipv4: str
    ipv6: str
    gateway4: str
    gateway6: str

    @property
    def netns(self):
        return network.PREFIX + self.name

    @property
    def addresses(self):
        return [self.ipv4, self.ipv6]


HOSTS = {host.name: host for host in [
    Host("dns", "ns.example.net", "192.0.2.53", "2001:db8:53::53", "192.0.2.1", "2001:db8:53::1"),
    Host("mx", "mx.example.net", "192.0.2.25", "2001:db8:25::25", "192.0.2.1", "2001:db8:25::1"),
    Host("acme", "acme.example.net", "192.0.2.100", "2001:db8:53::100", "192.0.2.1", "2001:db8:53::1"),
    Host("remote", "remote.example.com", "198.51.100.25", "2001:db8:100::25", "198.51.100.1", "2001:db8:100::1"),
    Host("client", "client.example.com", "203.0.113.50", "2001:db8:113::50", "203.0.113.1", "2001:db8:113::1"),
]}
ROUTER = network.PREFIX + "router"
# Router side: the 192.0.2.0/24 hosts share a bridge; remote and client have a link each.
BRIDGED = ("dns", "mx", "acme")
MAIL = {"example.net": "mx.example.net", MAIL_DOMAIN: "mx.example.net", "example.com": "remote.example.com"}
# What the hosts must not run of the services the machine enables (mx installs and starts its own).
MX_MASKED = ("postgresql.service", "nsd.service", "unbound.service")
REMOTE_SERVICES = ("postfix.service", *far_end.SERVICES)
ACME_PORT = 14000
LOCK_TIMEOUT = 900
# Inbound defence (tests/lab/test_inbound.py): the lab's DNS blocklist, served by the lab DNS, lists
# a second address of the client host, which mx's postscreen asks about (MAILADMIN_POSTSCREEN_DNSBL_SITES);
# a third address talks before its turn (postscreen remembers a client that passed for a day, so
# the pregreet test needs an address no other test has used on port 25).
DNSBL_ZONE = "dnsbl.example.net"
LISTED_CLIENT = "203.0.113.66"
PREGREET_CLIENT = "203.0.113.67"
# The operator's certificate files on mx (the lab CA's certificate is /etc/ssl/lab/ca.pem on every host).
MX_CERT, MX_KEY = "/etc/ssl/lab/mx.example.net.pem", "/etc/ssl/lab/mx.example.net.key"


def cleanup_stale():
    """Removes what an earlier run left: processes in lab namespaces (containers with them),
    nspawn processes of lab folders, mounts under RUN_ROOT, the namespaces, the run folders."""
    for netns in network.lab_namespaces():
        network.kill_all_in(netns)
    for pid in nspawn_pids():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    deadline = time.monotonic() + 10
    while nspawn_pids() and time.monotonic() < deadline:
        time.sleep(0.2)
    for mount in sorted(lab_mounts(), key=len, reverse=True):
        umount(mount)
    for netns in network.lab_namespaces():
        network.delete_namespace(netns)
    for folder in RUN_ROOT.iterdir():
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def nspawn_pids():
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                command = (proc / "cmdline").read_bytes().split(b"\0")
                if command[0].endswith(b"systemd-nspawn") and any(str(RUN_ROOT).encode() in a for a in command):
                    found.append(int(proc.name))
    return found


def lab_mounts():
    with open("/proc/self/mounts") as mounts:
        return [line.split()[1] for line in mounts if line.split()[1].startswith(str(RUN_ROOT) + "/")]


def outside_root_file_system(*paths):
    """Those of `paths` (symbolic links followed) that an overlay of / does not show."""
    root = os.stat("/").st_dev
    return [str(path.resolve()) for path in paths if path.exists() and os.stat(path.resolve()).st_dev != root]


def take_lock(log):
    """One lab at a time on a machine: waits (bounded) for another run to end, and returns the
    open lock file (closing it releases the lock). The lock goes with its holder's process, so a
    crashed run leaves none behind."""
    RUN_ROOT.mkdir(parents=True, exist_ok=True)
    lock = open(RUN_ROOT / "lock", "w")
    deadline = time.monotonic() + LOCK_TIMEOUT
    for attempt in itertools.count():
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() > deadline:
                lock.close()
                raise RuntimeError(f"another lab held {RUN_ROOT / 'lock'} for {LOCK_TIMEOUT} s") from None
            if attempt == 0:
                log("lab: waiting for another lab run to end")
            time.sleep(2)


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


class Client:
    """Commands run in the client's namespace, with the lab's resolv.conf bound over /etc/resolv.conf
    in a mount namespace of their own (the machine's file stays as it is)."""

    def __init__(self, host, resolv_conf):
        self.host, self.resolv_conf = host, resolv_conf

    def run(self, *command, check=True, timeout=60, input=None, env=None):
        return subprocess.run(self.wrapped(command), check=check, capture_output=True, text=True, timeout=timeout,
                              input=input, env=env)

    def popen(self, *command):
        """A command left running, with pipes to its stdin and stdout (text)."""
        return subprocess.Popen(self.wrapped(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def wrapped(self, command):
        return ["nsenter", f"--net={network.netns_path(self.host.netns)}", "unshare", "--mount", "--",
                "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(self.resolv_conf), *command]


class Lab:
    install_output = None  # the output of the last `./mailctl install` on mx; None while mx is not installed

    def __init__(self, log=print):
        self.log = log
        self.hosts = HOSTS
        self.started = time.monotonic()

    # -- building --------------------------------------------------------------------------------------
    def __enter__(self):
        self.lock = take_lock(self.log)
        self.teardown = contextlib.ExitStack()
        # A run stopped with SIGTERM (a timeout, Ctrl-C's sibling) still tears the lab down.
        self.teardown.callback(signal.signal, signal.SIGTERM, signal.signal(signal.SIGTERM, interrupt))
        try:
            cleanup_stale()
            self.folder = RUN_ROOT / time.strftime("%Y%m%d-%H%M%S")
            self.folder.mkdir()
            self.teardown.callback(shutil.rmtree, self.folder, ignore_errors=True)
            self.build()
        except BaseException:
            self.teardown.close()
            self.lock.close()
            raise
        return self

    def __exit__(self, *exc):
        self.log("lab: tearing down")
        self.teardown.close()
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()

    def step(self, what):
        self.log(f"lab: {what} ({time.monotonic() - self.started:.1f} s)")

    def build(self):
        self.step("network")
        self.build_network()
        self.step("certificates")
        self.ca = CA(self.folder / "ca").create()
        self.mx_cert, self.mx_key = self.ca.issue("mx.example.net")
        self.resolv_conf = self.folder / "resolv.conf"
        self.resolv_conf.write_text("".join(f"nameserver {a}\n" for a in HOSTS["dns"].addresses))
        self.step("containers")
        self.remote = self.prepare_remote()
        self.mx = self.prepare_mx()
        for container in (self.remote, self.mx):
            container.boot()
            self.teardown.callback(container.poweroff)
        self.step("dns")
        zones = dns.zones([(h.fqdn, h.addresses) for h in HOSTS.values()], MAIL)
        zones |= dns.dnsbl_zone(DNSBL_ZONE, [LISTED_CLIENT])
        self.dns = dns.DNS(self.folder / "dns", HOSTS["dns"].netns, HOSTS["dns"].addresses, zones)
        self.dns.configure()
        self.teardown.callback(self.dns.stop)
        self.dns.start()
        self.step("acme")
        self.start_acme()
        self.client = Client(HOSTS["client"], self.resolv_conf)
        for container in (self.remote, self.mx):
            state = container.wait_booted()
            self.step(f"{container.name} booted: {state}")

    def build_network(self):
        for netns in (ROUTER, *(host.netns for host in HOSTS.values())):
            network.add_namespace(netns)
            self.teardown.callback(network.delete_namespace, netns)
        network.enable_forwarding(ROUTER)
        bridged = [HOSTS[name] for name in BRIDGED]
        network.add_bridge(ROUTER, "lan", ["192.0.2.1/24", *sorted({f"{h.gateway6}/64" for h in bridged})])
        for host in HOSTS.values():
            if host.name in BRIDGED:
                network.add_veth(ROUTER, f"to-{host.name}", host.netns, "eth0", bridge="lan")
            else:
                network.add_veth(ROUTER, f"to-{host.name}", host.netns, "eth0")
                network.add_address(ROUTER, f"to-{host.name}", f"{host.gateway4}/24")
                network.add_address(ROUTER, f"to-{host.name}", f"{host.gateway6}/64")
            network.add_address(host.netns, "eth0", f"{host.ipv4}/24")
            network.add_address(host.netns, "eth0", f"{host.ipv6}/64")
            own = ipaddress.ip_interface(f"{host.ipv4}/24").network
            for net in network.DOCUMENTATION_RANGES:
                if net.version == 4 and net != own:
                    network.add_route(host.netns, str(net), host.gateway4)
            network.add_route(host.netns, "2001:db8::/32", host.gateway6)
        for address in (LISTED_CLIENT, PREGREET_CLIENT):
            network.add_address(HOSTS["client"].netns, "eth0", f"{address}/24")

    # -- hosts ------------------------------------------------------------------------------------------
    def container(self, name, read_only=()):
        host = HOSTS[name]
        container = Container(name, self.folder / name, host.netns, host.fqdn, read_only)
        container.mount()
        self.teardown.callback(container.remove)
        container.write("/etc/resolv.conf", self.resolv_conf.read_text())
        container.write("/etc/hostname", host.fqdn + "\n")
        container.write("/etc/hosts", f"127.0.0.1 localhost\n::1 localhost\n{host.ipv4} {host.fqdn} {name}\n"
                                      f"{host.ipv6} {host.fqdn} {name}\n")
        container.write("/etc/ssl/lab/ca.pem", self.ca.cert.read_text())
        return container

    def prepare_mx(self):
        # The checkout at the same path, with what it links to (.venv, node_modules).
        seen = outside_root_file_system(CHECKOUT, CHECKOUT / ".venv", CHECKOUT / "node_modules")
        mx = self.container("mx", read_only=seen)
        mx.mask(*MX_MASKED)
        mx.write(MX_CERT, self.mx_cert.read_text())
        mx.write(MX_KEY, self.mx_key.read_text(), mode=0o600)
        return mx

    def renew_mx(self):
        """Replaces mx by a host that was never installed, booted afresh: for a test that sets mx
        up otherwise first (tests/lab/test_adoption.py), and for the tests after it."""
        self.mx.poweroff()
        self.mx.remove()
        self.mx = self.prepare_mx()
        self.mx.boot()
        self.teardown.callback(self.mx.poweroff)
        self.install_output = None
        self.step(f"mx booted afresh: {self.mx.wait_booted()}")

    def prepare_remote(self):
        """Debian's Postfix as an Internet site for remote.example.com and example.com, with a local
        user bob, opportunistic TLS both ways and TLS logged into /var/log/postfix.log; SPF, DKIM
        and DMARC checked on what it receives (tests/lab/far_end.py)."""
        remote = self.container("remote")
        remote.mask(*(unit for unit in remote.enabled_services() if unit not in REMOTE_SERVICES))
        cert, key = self.ca.issue("remote.example.com")
        remote.write("/etc/ssl/lab/remote.pem", cert.read_text())
        remote.write("/etc/ssl/lab/remote.key", key.read_text(), mode=0o600)
        remote.write("/etc/mailname", "example.com\n")
        remote.write("/etc/postfix/main.cf", far_end.configure(remote, REMOTE_MAIN_CF, [HOSTS["dns"].ipv4]))
        subprocess.run(["chroot", str(remote.root), "newaliases"], check=True, capture_output=True, timeout=30)
        subprocess.run(["chroot", str(remote.root), "useradd", "--create-home", "bob"], check=True,
                       capture_output=True, timeout=30)
        return remote

    def start_acme(self):
        host = HOSTS["acme"]
        folder = self.folder / "acme"
        folder.mkdir()
        cert, key = self.ca.issue(host.fqdn)
        config = folder / "pebble.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": f"{host.ipv4}:{ACME_PORT}", "managementListenAddress": f"{host.ipv4}:15000",
            "certificate": str(cert), "privateKey": str(key), "httpPort": 80, "tlsPort": 443,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}))
        env = {"PATH": os.environ["PATH"], "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        process = network.spawn(host.netns, ["pebble", "-config", str(config), "-dnsserver",
                                             f"{HOSTS['dns'].ipv4}:53"], folder / "pebble.log", env=env)

        def stop():
            process.terminate()
            process.wait(10)
        self.teardown.callback(stop)
        network.wait_port(host.netns, host.ipv4, ACME_PORT, process)

    # -- for the tests --------------------------------------------------------------------------------------
    def install_mx(self, settings, timeout=600):
        """`./mailctl install` on mx, as a user runs it: as root in the checkout, settings in the
        environment. Its output is kept in the lab folder (mx-install.log); fails with its tail."""
        started = time.monotonic()
        done = self.mx.run("./mailctl", "install", cwd=str(CHECKOUT), env=settings, timeout=timeout, check=False)
        (self.folder / "mx-install.log").write_text(done.stdout + done.stderr)
        assert done.returncode == 0, f"./mailctl install failed:\n{(done.stdout + done.stderr)[-3000:]}"
        self.step(f"mx installed in {time.monotonic() - started:.1f} s")
        self.install_output = done.stdout
        return done.stdout

    def files_tls_settings(self):
        """The install's settings for operator-provided certificate files (made by the lab's CA)."""
        return {"MAILADMIN_MAIL_HOSTNAME": HOSTS["mx"].fqdn, "MAILADMIN_TLS": "files",
                "MAILADMIN_TLS_CERT_FILE": MX_CERT, "MAILADMIN_TLS_KEY_FILE": MX_KEY,
                # postscreen asks the lab's blocklist; SpamAssassin's network tests the lab DNS.
                "MAILADMIN_POSTSCREEN_DNSBL_SITES": f"{DNSBL_ZONE}*3", "MAILADMIN_DNS_RESOLVERS": HOSTS["dns"].ipv4}

    def remote_log(self):
        path = self.remote.path("/var/log/postfix.log")
        return path.read_text() if path.exists() else ""


REMOTE_MAIN_CF = """\
# Debian's "Internet Site" defaults for remote.example.com (dpkg-reconfigure postfix), TLS logged.
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
readme_directory = no
compatibility_level = 3.6
smtpd_tls_cert_file = /etc/ssl/lab/remote.pem
smtpd_tls_key_file = /etc/ssl/lab/remote.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_CAfile = /etc/ssl/lab/ca.pem
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
myhostname = remote.example.com
alias_maps = hash:/etc/aliases
alias_database = hash:/etc/aliases
myorigin = /etc/mailname
mydestination = $myhostname, example.com, localhost
relayhost =
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
mailbox_size_limit = 0
recipient_delimiter = +
inet_interfaces = all
inet_protocols = all
maillog_file = /var/log/postfix.log
"""
