"""nsd serving the DNS records tests publish, on 127.0.0.1 at the suite's resolver port
(MAILADMIN_DNS_RESOLVER_PORT): the panel's DNS check asks a real server."""
import subprocess
import time

import dns.exception
from django.conf import settings

from domains import dns_records
from tests.lab.dns import zone_file


class Nsd:
    """nsd serving zone files on 127.0.0.1 at the suite's resolver port."""

    def __init__(self, folder):
        self.folder = folder
        self.process = None

    def serve(self, records):
        """Publishes `records` (dns_records.Record) in zones of their own names' parents."""
        self.stop()
        zones = {"dns.example": []}  # with no records, a server that refuses every other name at once
        for record in records:
            zones.setdefault(zone_of(record.name), []).append(record.zone_line)
        entries = ""
        for name, lines in zones.items():
            (self.folder / f"{name}.zone").write_text(zone_file(name, lines))
            entries += f"zone:\n  name: {name}\n  zonefile: {self.folder}/{name}.zone\n"
        (self.folder / "nsd.conf").write_text(
            f"server:\n  ip-address: 127.0.0.1@{settings.MAILADMIN_DNS_RESOLVER_PORT}\n  username: \"\"\n"
            f"  chroot: \"\"\n  database: \"\"\n  zonelistfile: {self.folder}/zone.list\n"
            f"  xfrdfile: {self.folder}/xfrd.state\n  pidfile: {self.folder}/nsd.pid\n"
            f"  logfile: {self.folder}/nsd.log\n  server-count: 1\nremote-control:\n  control-enable: no\n" + entries)
        self.process = subprocess.Popen(["nsd", "-d", "-c", str(self.folder / "nsd.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        asker = dns_records.resolver()
        asker.timeout = asker.lifetime = 0.2  # until nsd listens, a probe waits for nothing
        deadline = time.monotonic() + 10
        while True:
            try:
                asker.resolve(next(iter(zones)), "SOA")
                return
            except dns.exception.DNSException:
                assert time.monotonic() < deadline, (self.folder / "nsd.log").read_text()
                time.sleep(0.1)

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def zone_of(name):
    if name.endswith(".in-addr.arpa"):
        return "2.0.192.in-addr.arpa"
    if name.endswith(".ip6.arpa"):
        return "8.b.d.0.1.0.0.2.ip6.arpa"
    return settings.MAILSTACK["hostname"] if name == settings.MAILSTACK["hostname"] else "dns.example"
