"""Mailbox owners in committed rows (the daemons must see them), each with a fresh address: a
mailbox's folder (with its Sieve scripts and auto-reply memory) outlives the test's rows."""
import subprocess
import uuid

import pytest

from mailstack.doveadm import config_path
from tests.conftest import PASSWORD

DOMAIN = "self.example"


@pytest.fixture
def owners(mail_domain):
    """owners() -> a new mailbox (password PASSWORD) in self.example; owners.domain is the domain."""
    domain = mail_domain(DOMAIN)

    def make(**fields):
        return domain.mailbox(f"u{uuid.uuid4().hex[:10]}", **fields)
    make.domain = domain.domain
    make.factory = domain
    return make


@pytest.fixture
def owner(owners):
    return owners()


def sign_in(client, address, password=PASSWORD, **extra):
    return client.post("/me/login/", {"address": address, "password": password}, **extra)


def signed_in(client, mailbox, password=PASSWORD):
    response = sign_in(client, mailbox.email, password)
    assert response.status_code == 302 and response.url == "/me/", response.content[:500]
    return client


def doveadm(*arguments, stdin=None) -> str:
    result = subprocess.run(["doveadm", "-c", str(config_path()), *arguments], input=stdin, capture_output=True,
                            check=True)
    return result.stdout.decode()


def sieve_script(address, name) -> str:
    """The text of one of the user's Sieve scripts, as Dovecot holds it."""
    output = doveadm("sieve", "get", "-u", address, name)
    assert output.startswith("sieve script:\n"), output
    return output.removeprefix("sieve script:\n")
