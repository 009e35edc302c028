"""The suite runs against the private test stack (mailadmin/test_settings.py): a real MariaDB,
Postfix, Dovecot and SpamAssassin under var/test, started here if they are not up yet."""
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from mailstack import stack
from mailstack.config import paths


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    """Uses the stack's own database (the one the daemons read), emptied once at the start."""
    with django_db_blocker.unblock():
        if not all(stack.status().values()):
            stack.up(log=lambda line: None)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
    # Mail left queued or stored by an earlier run would be seen by this one.
    subprocess.run(["postsuper", "-c", str(paths().postfix_config), "-d", "ALL"], capture_output=True, check=True)
    vmail = Path(settings.MAILSTACK["vmail_dir"])
    assert vmail.is_relative_to(paths().var) and "test" in paths().var.name, "only the test stack's mail is emptied"
    for folder in vmail.iterdir():
        shutil.rmtree(folder)


PASSWORD = "correct horse battery staple"


@pytest.fixture
def production_argon2_cost(settings):
    """For the tests about hashing: Argon2id at the cost production writes (t=3, m=64 MiB), not
    the test settings' cheaper one."""
    del settings.MAILADMIN_ARGON2_COST


def long_address(length):
    """A well-formed address of `length` characters (64 before the @, labels of up to 63 after)."""
    local, domain = "l" * 64, "example"
    while len(local) + 1 + len(domain) < length:
        label = "d" * min(63, length - len(local) - 1 - len(domain) - 1)
        domain = f"{label}.{domain}"
    return f"{local}@{domain}"


@pytest.fixture
def admin_client(client, admin_user):
    """A superadmin signed in past the second factor, as every superadmin must be."""
    from tests.signin import sign_in_with_second_factor

    return sign_in_with_second_factor(client, admin_user)


@pytest.fixture
def mail_domain(transactional_db):
    """A committed domain the daemons can see; factories for its mailboxes and aliases."""
    from domains import services
    from domains.audit import Actor

    class MailDomain:
        actor = Actor.command("tests")

        def __init__(self, name):
            self.domain = services.domain_create(actor=self.actor, name=name)

        def mailbox(self, local_part, password=PASSWORD, **fields):
            return services.mailbox_create(actor=self.actor, domain=self.domain, local_part=local_part,
                                           password=password, **fields)

        def alias(self, local_part, *destinations):
            source = f"{local_part}@{self.domain.name}"
            return services.alias_create(actor=self.actor, domain=self.domain, source=source,
                                         destinations=list(destinations))

    return MailDomain


class RelaySink:
    """A remote mail server for the tests: Postfix relays outbound mail here (its relayhost)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"

    def with_subject(self, subject):
        return [envelope for envelope in self.received if f"Subject: {subject}".encode() in envelope.original_content]

    def wait_for(self, subject, timeout=30):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.with_subject(subject)
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"{subject!r} did not reach the remote host within {timeout} s")


@pytest.fixture(scope="session")
def relay_sink():
    from aiosmtpd.controller import Controller
    from django.conf import settings

    sink = RelaySink()
    controller = Controller(sink, hostname="127.0.0.1", port=settings.RELAY_SINK_PORT)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture(scope="module")
def dovecot_auth_cache():
    """Dovecot with its auth cache on (MAILADMIN_DOVECOT_AUTH_CACHE), as a busy server runs it;
    reloaded once for the tests that need it, and back to the stack's own afterwards."""
    from django.test import override_settings

    from mailstack.daemons import Dovecot

    with override_settings(MAILADMIN_DOVECOT_AUTH_CACHE=True):
        stack.render_configs()
        Dovecot().start()  # reloads
        yield
    stack.render_configs()
    Dovecot().start()


@pytest.fixture
def empty_auth_cache(dovecot_auth_cache):
    """Each test starts with nothing cached, as after the reload (an earlier test's pat@example.org
    would otherwise still be cached, found or not)."""
    from mailstack import doveadm

    doveadm.flush_auth_cache()


@pytest.fixture
def nsd(tmp_path):
    """A DNS server on the suite's resolver port (tests/nsd.py); `nsd.serve([])` refuses every name
    at once, for tests that reach the DNS check without caring for its answers."""
    from tests.nsd import Nsd

    server = Nsd(tmp_path)
    yield server
    server.stop()
