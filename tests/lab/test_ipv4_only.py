"""mx without IPv6: the install renders listeners for IPv4 alone and every daemon starts.

IPv6 is switched off in mx's network namespace (net.ipv6.conf.*.disable_ipv6=1: no IPv6 address,
which is what the install looks at), and Dovecot, Postfix and nginx are started the way a kernel
without IPv6 would have them: a drop-in takes AF_INET6 from their address families, so that
asking for an IPv6 socket fails (EAFNOSUPPORT), as on a host booted with ipv6.disable=1. They
are stopped first, so the install starts them with what it rendered. Afterwards IPv6, mx's
address and route come back and the install, run again, listens on IPv6 again.
"""
from tests.lab import network
from tests.lab.hosts import HOSTS

PUBLIC_PORTS = (25, 465, 587, 143, 993, 110, 995, 4190, 80, 443)
DAEMONS = ["dovecot.service", "postfix@-.service", "nginx.service"]
DROP_IN = "[Service]\nRestrictAddressFamilies=AF_UNIX AF_INET AF_NETLINK\n"
SYSCTLS = ["net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6",
           "net.ipv6.conf.eth0.disable_ipv6", "net.ipv6.conf.lo.disable_ipv6"]


def listening(host):
    """The addresses with a listening TCP socket on mx (`ss`), e.g. {"0.0.0.0:993", "[::]:993"}."""
    return {line.split()[3] for line in host.run("ss", "-Hltn").stdout.splitlines()}


def set_ipv6(on):
    """In mx's network namespace only (inside the container /proc/sys is read-only)."""
    network.run("ip", "netns", "exec", HOSTS["mx"].netns, "sysctl", "-q", "-w",
                *(f"{name}={0 if on else 1}" for name in SYSCTLS))


def test_a_host_without_ipv6_installs_and_serves_on_ipv4(mx):
    host = mx.mx
    mx_host = HOSTS["mx"]
    set_ipv6(False)
    for daemon in DAEMONS:
        host.write(f"/etc/systemd/system/{daemon}.d/lab-no-ipv6.conf", DROP_IN)
    host.run("systemctl", "daemon-reload")
    host.run("systemctl", "stop", *DAEMONS)
    try:
        output = mx.install_mx({})
        assert "configuration: wrote /etc/dovecot/dovecot.conf" in output
        ports = listening(host)
        for port in PUBLIC_PORTS:
            assert f"0.0.0.0:{port}" in ports and f"[::]:{port}" not in ports, f"{port}: {sorted(ports)}"
        status = mx.client.run("curl", "-4", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                               str(mx.ca.cert), "https://mx.example.net/login/", check=False).stdout
        assert status == "200"
    finally:
        host.run("rm", "-f", *(f"/etc/systemd/system/{daemon}.d/lab-no-ipv6.conf" for daemon in DAEMONS))
        host.run("systemctl", "daemon-reload")
        set_ipv6(True)
        network.add_address(mx_host.netns, "eth0", f"{mx_host.ipv6}/64")
        network.add_route(mx_host.netns, "2001:db8::/32", mx_host.gateway6)
        host.run("systemctl", "restart", *DAEMONS, timeout=120)
    again = mx.install_mx({})
    assert "configuration: wrote /etc/dovecot/dovecot.conf" in again
    assert {"[::]:993", "[::]:443", "[::]:25"} <= listening(host), "IPv6 listeners once the host has IPv6 again"
