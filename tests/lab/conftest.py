"""The lab (tests/lab/hosts.py): one session-wide small internet in network namespaces, built
before the first lab test and torn down after the last, also when a test fails.

Every test under tests/lab gets the `lab` marker: `./mailctl lab` runs only them,
`pytest -m "not lab"` leaves them out.
"""
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

# The lab's tear-down first (before the session's lab is built), its own tests next; then the
# faults (which stop and restart mx's services) and the installs again on the same mx (an
# upgrade, a host without IPv6, a failed first install); while mx still serves the lab CA's
# certificate (which the clients trust), the inbound defence, the webmail and a backup of mx
# restored after its data is wiped and it is installed afresh; the ACME variant, as it installs mx
# again with another certificate, and the renewal of that certificate; the adoption last, on an
# mx booted afresh and set up by hand.
ORDER = ["test_teardown.py", "test_lab.py", "test_mail.py", "test_panel.py", "test_privilege.py", "test_health.py",
         "test_dkim.py", "test_plaintext.py", "test_quota_srs.py", "test_faults.py", "test_upgrade.py",
         "test_ipv4_only.py", "test_rollback.py", "test_inbound.py", "test_webmail.py", "test_backup.py",
         "test_soak.py", "test_acme.py", "test_renewal.py", "test_adoption.py"]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.lab)
    # A stable sort: the lab's modules in ORDER, after everything else, each keeping its tests' order.
    items.sort(key=lambda item: ORDER.index(item.path.name) + 1 if here in item.path.parents
               and item.path.name in ORDER else 0)


@pytest.fixture(scope="session")
def lab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, overlay mounts, systemd-nspawn)")
    from tests.lab.hosts import Lab

    with Lab() as built:
        yield built




@pytest.fixture(scope="session")
def mx(lab):
    """The lab with mx installed by `./mailctl install` with the operator's certificate files
    (signed by the lab CA, which client and remote trust)."""
    lab.install_mx(lab.files_tls_settings())
    return lab


@pytest.fixture(scope="session")
def acme_root(mx):
    """mx installed again with MAILADMIN_TLS=acme (its certificate from pebble); the root
    certificate of pebble's issuing CA, in the lab folder."""
    mx.install_mx({"MAILADMIN_TLS": "acme", "MAILADMIN_ACME_DIRECTORY": "https://acme.example.net:14000/dir",
                   "MAILADMIN_ACME_EMAIL": "postmaster@example.org", "MAILADMIN_ACME_CA_BUNDLE": "/etc/ssl/lab/ca.pem"})
    # pebble makes a new root at each start: the client trusts it as fetched from its management port.
    root = mx.folder / "pebble-root.pem"
    root.write_text(mx.client.run("curl", "-sS", "--fail", "--cacert", str(mx.ca.cert),
                                  "https://acme.example.net:15000/roots/0").stdout)
    return root


@dataclass(frozen=True)
class Mailbox:
    address: str
    password: str


@pytest.fixture(scope="session")
def mailbox(mx):
    """alice@example.org on mx, created with manage.py on mx through the panel's services."""
    from tests.lab.mail import create_mailbox

    password = "alice's lab password"
    return Mailbox(create_mailbox(mx, "example.org", "alice", password), password)
