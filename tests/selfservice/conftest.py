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


def managesieve_put_active(address, password, name, script: bytes):
    """Stores and activates a script over ManageSieve (RFC 5804), as Roundcube's managesieve
    plugin does: STARTTLS, AUTHENTICATE PLAIN, PUTSCRIPT, SETACTIVE."""
    import base64
    import socket

    from django.conf import settings

    from tests.mail import tls_context

    def read_until_ok(stream):
        lines = []
        while True:
            line = stream.readline()
            assert line, "ManageSieve closed the connection"
            lines.append(line)
            if line.startswith((b"OK", b"NO", b"BYE")):
                assert line.startswith(b"OK"), lines
                return lines

    raw = socket.create_connection(("127.0.0.1", settings.MAILSTACK["ports"]["managesieve"]), timeout=30)
    stream = raw.makefile("rb")
    read_until_ok(stream)
    raw.sendall(b"STARTTLS\r\n")
    read_until_ok(stream)
    secure = tls_context().wrap_socket(raw)
    stream = secure.makefile("rb")
    read_until_ok(stream)  # the capabilities again, now with SASL PLAIN
    token = base64.b64encode(f"\0{address}\0{password}".encode()).decode()
    commands = [f'AUTHENTICATE "PLAIN" "{token}"\r\n'.encode(),
                f'PUTSCRIPT "{name}" {{{len(script)}+}}\r\n'.encode() + script + b"\r\n",
                f'SETACTIVE "{name}"\r\n'.encode(), b"LOGOUT\r\n"]
    for command in commands:
        secure.sendall(command)
        read_until_ok(stream)
    secure.close()
