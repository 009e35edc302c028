"""A first install that fails when it starts the daemons leaves the host as it found it: the
previous files back, the daemons it started stopped, and no enable link to a unit it installed.

mx is brought back to a host where mailadmin's units were never installed (they are disabled,
stopped and removed), and nginx cannot start: another program holds port 80. After the failed
run the port is freed and the install, run again, brings everything back.
"""
from tests.lab.hosts import CHECKOUT

OUR_UNITS = ["mailadmin.socket", "mailadmin.service", "mailadmin-mailstore.service", "mailadmin-backup.timer"]
# Every file of ours below /etc/systemd/system: the units (the backup's service runs only when its
# timer fires) and the drop-ins for Debian's spamd and opendkim units.
OUR_FILES = [*OUR_UNITS, "mailadmin-backup.service", "spamd.service.d/mailadmin.conf",
             "opendkim.service.d/mailadmin.conf"]


def our_unit_files(mx):
    return mx.run("find", "/etc/systemd/system", "-name", "mailadmin*").stdout.split()


def test_a_failed_first_install_leaves_no_enable_link_to_our_units(mx):
    host = mx.mx
    host.run("systemctl", "disable", "--now", *OUR_UNITS, "mailadmin-backup.service")
    host.run("rm", "-f", *(f"/etc/systemd/system/{name}" for name in OUR_FILES))
    host.run("systemctl", "daemon-reload")
    host.run("systemctl", "stop", "nginx.service")
    assert our_unit_files(host) == []
    host.run("systemd-run", "--unit=lab-port-80", "python3", "-m", "http.server", "--bind", "0.0.0.0", "80")
    try:
        failed = host.run("./mailctl", "install", cwd=str(CHECKOUT), timeout=600, check=False)
        output = failed.stdout + failed.stderr
        assert failed.returncode != 0, output
        assert "nginx.service" in output and "the previous files are back" in output, output
        assert "services: enabled mailadmin.socket" in output, "the run got as far as enabling our units"

        assert our_unit_files(host) == [], "no unit file and no enable link of ours is left"
        states = host.run("systemctl", "is-active", *OUR_UNITS, check=False).stdout.split()
        assert states == ["inactive"] * len(OUR_UNITS), states
        running = host.run("systemctl", "is-active", "postfix@-.service", "dovecot.service").stdout.split()
        assert running == ["active", "active"], "the daemons that ran before still run"
    finally:
        host.run("systemctl", "stop", "lab-port-80", check=False)
        again = mx.install_mx({})
    assert "services: started nginx.service" in again
    states = host.run("systemctl", "is-active", *OUR_UNITS, "nginx.service").stdout.split()
    assert states == ["active"] * (len(OUR_UNITS) + 1)
