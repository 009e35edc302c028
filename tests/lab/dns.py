"""The lab's DNS: nsd authoritative for the lab's zones on the dns host's loopback, and unbound,
the resolver every lab host asks, forwarding those zones to nsd and nothing anywhere else.

Both run as plain processes in the dns network namespace with their configurations, zones,
PID files and logs in the lab's own folder.
"""
import ipaddress
import time
from pathlib import Path

from tests.lab import network
from tests.lab.lookup import query

NSD_PORT = 5300
TTL = 60


def zones(hosts, mail):
    """{zone name: zone file text} for the forward zones and the reverse zones of the lab's ranges.

    `hosts`: (fqdn, addresses) pairs; `mail`: {domain: MX host}; every zone has a TXT record (SPF),
    and so has each MX host's own name.
    """
    forward = {}
    for domain, exchanger in mail.items():
        forward.setdefault(domain, []).extend([f"@ MX 10 {exchanger}.", '@ TXT "v=spf1 mx -all"'])
    for fqdn, addresses in hosts:
        zone = next(z for z in forward if fqdn == z or fqdn.endswith("." + z))
        label = fqdn[: -len(zone) - 1] or "@"
        forward[zone].extend(f"{label} {'AAAA' if ':' in a else 'A'} {a}" for a in addresses)
        if fqdn in mail.values():  # a mail server's own name: the SRS sender of forwarded mail, HELO
            forward[zone].append(f'{label} TXT "v=spf1 a -all"')
    reverse = {"2.0.192.in-addr.arpa": [], "100.51.198.in-addr.arpa": [], "113.0.203.in-addr.arpa": [],
               "8.b.d.0.1.0.0.2.ip6.arpa": []}
    for fqdn, addresses in hosts:
        for address in addresses:
            pointer = ipaddress.ip_address(address).reverse_pointer
            zone = next(z for z in reverse if pointer.endswith("." + z))
            reverse[zone].append(f"{pointer}. PTR {fqdn}.")
    return {name: zone_file(name, records) for name, records in {**forward, **reverse}.items()}


def dnsbl_zone(name, listed):
    """{zone name: text} of a DNS blocklist listing the IPv4 addresses `listed` as blocklists do:
    the address's octets reversed below the zone, an A record in 127.0.0.0/8 and a TXT reason."""
    records = []
    for address in listed:
        label = ".".join(reversed(address.split(".")))
        records += [f"{label} A 127.0.0.2", f'{label} TXT "listed by the lab: {address}"']
    return {name: zone_file(name, records)}


def zone_file(name, records):
    head = [f"$ORIGIN {name}.", f"$TTL {TTL}",
            f"@ SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 {TTL}", "@ NS ns.example.net."]
    return "\n".join(head + records) + "\n"


class DNS:
    def __init__(self, folder, netns, addresses, zone_texts):
        self.folder, self.netns, self.addresses = Path(folder), netns, addresses
        self.zone_texts = zone_texts
        self.processes = []

    def configure(self):
        self.folder.mkdir(parents=True)
        for name, text in self.zone_texts.items():
            (self.folder / f"{name}.zone").write_text(text)
        zone_entries = "".join(f"zone:\n  name: {name}\n  zonefile: {self.folder}/{name}.zone\n"
                               for name in self.zone_texts)
        (self.folder / "nsd.conf").write_text(
            f"server:\n  ip-address: 127.0.0.1@{NSD_PORT}\n  username: \"\"\n  chroot: \"\"\n  database: \"\"\n"
            f"  zonesdir: {self.folder}\n  zonelistfile: {self.folder}/zone.list\n"
            f"  xfrdfile: {self.folder}/xfrd.state\n  pidfile: {self.folder}/nsd.pid\n"
            f"  logfile: {self.folder}/nsd.log\n  server-count: 1\n  verbosity: 1\n"
            "remote-control:\n  control-enable: no\n" + zone_entries)
        stubs = "".join(f"stub-zone:\n  name: \"{name}\"\n  stub-addr: 127.0.0.1@{NSD_PORT}\n"
                        for name in (".", *self.zone_texts))
        interfaces = "".join(f"  interface: {address}\n" for address in self.addresses)
        allowed = "".join(f"  access-control: {net} allow\n" for net in (*network.DOCUMENTATION_RANGES, "127.0.0.0/8"))
        # Unbound answers the documentation ranges' reverse zones itself unless told not to (RFC 6303).
        reverse = "".join(f"  local-zone: \"{name}.\" nodefault\n" for name in self.zone_texts if name.endswith("arpa"))
        (self.folder / "unbound.conf").write_text(
            f"server:\n{interfaces}  port: 53\n{allowed}  username: \"\"\n  chroot: \"\"\n"
            f"  directory: \"{self.folder}\"\n  pidfile: \"{self.folder}/unbound.pid\"\n"
            "  use-syslog: no\n  logfile: \"\"\n  verbosity: 1\n  module-config: \"iterator\"\n"
            "  do-not-query-localhost: no\n  qname-minimisation: no\n  cache-max-negative-ttl: 5\n"
            f"{reverse}remote-control:\n  control-enable: no\n{stubs}")

    def replace_zone(self, name, records):
        """Serves `name` with `records` (zone-file lines) from now on: nsd and unbound start again
        (unbound's cache goes with it), as a DNS host publishing a change would."""
        self.zone_texts[name] = zone_file(name, records)
        (self.folder / f"{name}.zone").write_text(self.zone_texts[name])
        self.stop()
        self.start()

    def start(self, timeout=20):
        self.processes = [
            network.spawn(self.netns, ["nsd", "-d", "-c", str(self.folder / "nsd.conf")], self.folder / "nsd.out"),
            network.spawn(self.netns, ["unbound", "-d", "-c", str(self.folder / "unbound.conf")],
                          self.folder / "unbound.log"),
        ]
        deadline = time.monotonic() + timeout
        while True:
            for process in self.processes:
                assert process.poll() is None, f"{process.args[3]} exited: see {self.folder}"
            try:
                if network.run("ip", "netns", "exec", self.netns, "python3", str(Path(__file__).with_name("lookup.py")),
                               "NS", "example.net", self.addresses[0], check=False).stdout.strip():
                    return
            except Exception:  # noqa: BLE001 - still starting
                pass
            assert time.monotonic() < deadline, f"the lab DNS did not answer within {timeout} s: see {self.folder}"
            time.sleep(0.3)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except Exception:  # noqa: BLE001
                    process.kill()
                    process.wait(5)


__all__ = ["DNS", "query", "zones"]
