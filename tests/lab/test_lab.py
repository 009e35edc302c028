"""The lab itself: what a mail server of this small internet relies on (DNS, routes, a remote
mail server that works) before anything is installed on mx."""
import ipaddress
import uuid

from tests.lab import far_end, network
from tests.lab.hosts import CHECKOUT, HOSTS, ROUTER
from tests.lab.mail import client_mail
from tests.lab.waiting import wait_until

LOOKUP = str(CHECKOUT / "tests" / "lab" / "lookup.py")


def test_remote_finds_our_mx_its_addresses_and_its_name_through_the_lab_dns(lab):
    def remote_lookup(kind, name):
        return lab.remote.run("python3", LOOKUP, kind, name).stdout.split("\n")[:-1]

    assert remote_lookup("MX", "example.org") == ["10 mx.example.net."]
    assert remote_lookup("A", "mx.example.net") == ["192.0.2.25"]
    assert remote_lookup("AAAA", "mx.example.net") == ["2001:db8:25::25"]
    assert remote_lookup("PTR", "25.2.0.192.in-addr.arpa") == ["mx.example.net."]
    assert remote_lookup("PTR", ipaddress.ip_address("2001:db8:25::25").reverse_pointer) == ["mx.example.net."]
    assert remote_lookup("TXT", "example.org") == ["v=spf1 mx -all"]
    # And our side finds remote's MX the same way.
    assert lab.mx.run("python3", LOOKUP, "MX", "example.com").stdout == "10 remote.example.com.\n"


def test_the_client_resolves_lab_names_with_the_system_resolver(lab):
    found = lab.client.run("getent", "ahosts", "mx.example.net").stdout.split()
    assert "192.0.2.25" in found and "2001:db8:25::25" in found


def test_no_lab_host_has_a_route_outside_the_documentation_ranges(lab):
    """Read from the routing tables (nothing is sent): no default route, and every destination a
    host can reach lies in 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32 (plus
    IPv6 link-local and multicast, which no router forwards)."""
    link_only = [ipaddress.ip_network("fe80::/10"), ipaddress.ip_network("ff00::/8")]
    for netns in (ROUTER, *(host.netns for host in HOSTS.values())):
        for line in network.routes(netns):
            destination = line.split()[0]
            assert destination != "default", f"{netns}: {line}"
            net = ipaddress.ip_network(destination)
            assert any(net.subnet_of(allowed) for allowed in network.DOCUMENTATION_RANGES + link_only
                       if allowed.version == net.version), f"{netns}: {line}"
    # The booted hosts' own view: what their systemd may have set up is in the same table.
    assert "default" not in lab.mx.run("ip", "route", "show").stdout
    assert "default" not in lab.remote.run("ip", "-6", "route", "show").stdout


def test_remote_delivers_locally_to_bob(lab):
    subject = f"lab {uuid.uuid4()}"
    lab.remote.run("/usr/sbin/sendmail", "-f", "root@example.com", "bob@example.com",
                   input=f"Subject: {subject}\nTo: bob@example.com\n\nHello, Bob.\n")
    mailbox = lab.remote.path("/var/mail/bob")
    wait_until(lambda: mailbox.exists() and subject in mailbox.read_text(), 30, "the message in /var/mail/bob")
    assert "status=sent (delivered to mailbox)" in lab.remote_log()


def test_remote_adds_its_spf_dkim_and_dmarc_verdicts_to_what_it_receives(lab):
    """A message from the client's address with an envelope sender of example.com (whose SPF
    allows only remote): remote delivers it to bob with SPF fail, no DKIM signature and DMARC's
    verdict, each in a header a mail provider's user would see."""
    subject = f"lab verdicts {uuid.uuid4()}"
    sent = client_mail(lab, "deliver", host="remote.example.com", sender="someone@example.com",
                       to="bob@example.com", subject=subject)
    assert sent == {"sent": True}

    message = far_end.bob_message(lab, subject)

    assert message["Received-SPF"].startswith("Fail"), message["Received-SPF"]
    found = far_end.verdicts(message)
    assert found["spf"] == "fail" and found["dkim"] == [{"result": "none", "domain": None, "selector": None}], found
    assert found["dmarc"] in ("fail", "none"), found
