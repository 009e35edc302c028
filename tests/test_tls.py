"""Every TLS listener of the stack (Postfix's port 25, submission and the listener for Dovecot's own
mail; Dovecot's IMAP, POP3 and ManageSieve) refuses TLS 1.0 and 1.1 and speaks TLS 1.2.

The client allows the old versions itself (OpenSSL's security level 0: Debian's default level
would refuse TLS 1.1 on the client side already), so a refusal really comes from the server."""
import contextlib
import imaplib
import poplib
import smtplib
import socket
import ssl
import warnings

import pytest

from tests import mail

pytestmark = pytest.mark.stack

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # naming the old versions is the point here
    OLD_VERSIONS = [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1]


def only(version: ssl.TLSVersion) -> ssl.SSLContext:
    context = mail.tls_context()
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = version
    return context


def smtp(port_name):
    def start(context):
        with smtplib.SMTP("127.0.0.1", mail.PORTS[port_name], timeout=30) as client:
            client.starttls(context=context)
            return client.sock.version()
    return start


def imap(context):
    client = imaplib.IMAP4("127.0.0.1", mail.PORTS["imap"], timeout=30)
    try:
        client.starttls(ssl_context=context)
        return client.sock.version()
    finally:
        with contextlib.suppress(OSError):  # after a refused handshake the socket is gone
            client.shutdown()


def pop3(context):
    client = poplib.POP3("127.0.0.1", mail.PORTS["pop3"], timeout=30)
    try:
        client.stls(context=context)
        return client.sock.version()
    finally:
        with contextlib.suppress(OSError):
            client.close()


def managesieve(context):
    with socket.create_connection(("127.0.0.1", mail.PORTS["managesieve"]), timeout=30) as raw:
        stream = raw.makefile("rb")
        while not stream.readline().startswith(b"OK"):
            pass
        raw.sendall(b"STARTTLS\r\n")
        assert stream.readline().startswith(b"OK")
        with context.wrap_socket(raw) as secure:
            return secure.version()


LISTENERS = {"smtp": smtp("smtp"), "submission": smtp("submission"),
             "dovecot submission": smtp("dovecot_submission"), "imap": imap, "pop3": pop3,
             "managesieve": managesieve}


@pytest.mark.parametrize("listener", LISTENERS)
def test_every_tls_listener_refuses_tls_1_0_and_1_1_and_speaks_tls_1_2(listener):
    start_tls = LISTENERS[listener]
    assert start_tls(only(ssl.TLSVersion.TLSv1_2)) == "TLSv1.2"  # the same client, a version allowed
    for version in OLD_VERSIONS:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            start_tls(only(version))
