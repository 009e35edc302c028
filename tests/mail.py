"""Mail clients for the tests: SMTP in, IMAP and POP3 out, all over the stack's loopback ports."""
import base64
import email
import email.policy
import imaplib
import json
import poplib
import smtplib
import socket
import ssl
import subprocess
import time
import uuid
from email.message import EmailMessage

from django.conf import settings

from mailstack.config import paths

PORTS = settings.MAILSTACK["ports"]
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def tls_context() -> ssl.SSLContext:
    """Trusts the stack's own self-signed certificate, and nothing else."""
    context = ssl.create_default_context(cafile=str(paths().tls / "cert.pem"))
    context.check_hostname = False
    return context


def message(to: str, body: str = "Hello.", sender: str = "someone@remote.test", **headers) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    # Dashed UUIDs: 32 hex digits in one run can look like a Bitcoin address to SpamAssassin
    # (rule PDS_BTC_ID), which would change the known scores the spam tests rely on.
    mail["Subject"] = f"test {uuid.uuid4()}"
    mail["Message-ID"] = f"<{uuid.uuid4()}@remote.test>"
    mail["Date"] = email.utils.formatdate()
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return mail


def is_srs_of(address: str, original: str) -> bool:
    """`address` is an SRS address of this host (postsrsd's SRS0 form) standing for `original`."""
    local, domain = original.split("@")
    host = settings.MAILSTACK["hostname"]
    return address.upper().startswith("SRS0=") and address.endswith(f"={domain}={local}@{host}")


def send(mail: EmailMessage, recipients=None, sender="someone@remote.test"):
    """Sends over plain SMTP to the stack's port 25 equivalent; raises on refusal."""
    with smtplib.SMTP("127.0.0.1", PORTS["smtp"], timeout=30) as client:
        client.ehlo("client.remote.test")
        return client.send_message(mail, from_addr=sender, to_addrs=recipients or [mail["To"]])


def submit(mail: EmailMessage, user: str, password: str, recipients=None, sender=None):
    """Sends through the submission port with STARTTLS and SMTP AUTH; the envelope sender is
    the login unless `sender` is given."""
    with smtplib.SMTP("127.0.0.1", PORTS["submission"], timeout=30) as client:
        client.starttls(context=tls_context())
        client.login(user, password)
        return client.send_message(mail, from_addr=sender or user, to_addrs=recipients or [mail["To"]])


def refusal(sending) -> tuple[int, bytes]:
    """The code and text with which the server refused `sending()`: at MAIL FROM, or at RCPT
    TO (where Postfix reports sender restrictions, smtpd_delay_reject)."""
    try:
        sending()
    except smtplib.SMTPSenderRefused as refused:
        return refused.smtp_code, refused.smtp_error
    except smtplib.SMTPRecipientsRefused as refused:
        [(code, text)] = refused.recipients.values()
        return code, text
    raise AssertionError("the server accepted the message")


def imap(user: str, password: str) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", PORTS["imap"], timeout=30)
    client.starttls(ssl_context=tls_context())
    client.login(user, password)
    return client


def imap_login_works(user: str, password: str) -> bool:
    try:
        imap(user, password).logout()
        return True
    except imaplib.IMAP4.error:
        return False


def folder_subjects(user: str, password: str, folder: str = "INBOX") -> list[str]:
    client = imap(user, password)
    try:
        status, _ = client.select(f'"{folder}"', readonly=True)
        if status != "OK":
            return []
        _, data = client.search(None, "ALL")
        subjects = []
        for number in data[0].split():
            _, parts = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            header = email.message_from_bytes(parts[0][1], policy=email.policy.default)
            subjects.append(str(header["Subject"]))
        return subjects
    finally:
        client.logout()


def fetch(user: str, password: str, subject: str, folder: str = "INBOX"):
    """The whole message with this subject from the folder, or None."""
    client = imap(user, password)
    try:
        if client.select(f'"{folder}"', readonly=True)[0] != "OK":
            return None
        _, data = client.search("UTF-8", "SUBJECT", f'"{subject}"')
        numbers = data[0].split()
        if not numbers:
            return None
        _, parts = client.fetch(numbers[0], "(BODY.PEEK[])")
        return email.message_from_bytes(parts[0][1], policy=email.policy.default)
    finally:
        client.logout()


def wait_for(user: str, password: str, subject: str, folder: str = "INBOX", timeout: float = 30):
    """Waits until the message with this subject is in the folder; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fetch(user, password, subject, folder)
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{subject!r} did not reach {user}'s {folder} within {timeout} s")


def ended(check, timeout=10) -> bool:
    """Whether a session's next commands (`check`) fail within the timeout (Dovecot ends kicked
    sessions within moments)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            check()
        except (imaplib.IMAP4.abort, imaplib.IMAP4.error, poplib.error_proto, OSError, EOFError):
            return True
        time.sleep(0.2)
    return False


def pop3_session(user: str, password: str) -> poplib.POP3:
    client = poplib.POP3("127.0.0.1", PORTS["pop3"], timeout=30)
    client.stls(context=tls_context())
    client.user(user)
    client.pass_(password)
    return client


class ManageSieve:
    """A logged-in ManageSieve session (RFC 5804): STARTTLS, AUTHENTICATE PLAIN."""

    def __init__(self, user: str, password: str):
        raw = socket.create_connection(("127.0.0.1", PORTS["managesieve"]), timeout=30)
        self.stream = raw.makefile("rb")
        self._reply()
        raw.sendall(b"STARTTLS\r\n")
        self._reply()
        self.socket = tls_context().wrap_socket(raw)
        self.stream = self.socket.makefile("rb")
        self._reply()  # the capabilities again
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.command(f'AUTHENTICATE "PLAIN" "{token}"'.encode())

    def _reply(self) -> list[bytes]:
        lines = []
        while True:
            line = self.stream.readline()
            if not line:
                raise EOFError("ManageSieve closed the connection")
            lines.append(line)
            if line.startswith((b"OK", b"NO", b"BYE")):
                if not line.startswith(b"OK"):
                    raise EOFError(b"".join(lines).decode(errors="replace"))
                return lines

    def command(self, command: bytes) -> list[bytes]:
        self.socket.sendall(command + b"\r\n")
        return self._reply()


def pop3_messages(user: str, password: str) -> list[bytes]:
    client = pop3_session(user, password)
    try:
        count, _ = client.stat()
        return [b"\r\n".join(client.retr(number)[1]) for number in range(1, count + 1)]
    finally:
        client.quit()


def wait_until_postfix_accepts(to: str, timeout: float = 150):
    """After a database restart, Postfix's MySQL client retries only after 60 s, and an smtpd
    keeps a failed lookup until it retires (10 s idle): a test that restarts the database waits
    here, trying like a sending server (a pause longer than that between tries), so that the
    next test finds the mail path as before."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return send(message(to))
        except smtplib.SMTPRecipientsRefused:
            if time.monotonic() > deadline:
                raise
            time.sleep(12)


def wait_until_postfix_idle(timeout: float = 30):
    """Waits until Postfix holds no message that is arriving or being delivered (deferred ones
    wait for a later try): everything sent before has been delivered, relayed or put off, and
    anything Dovecot sent while delivering it (an auto-reply, a forward) has been too."""
    deadline = time.monotonic() + timeout
    while True:
        listing = subprocess.run(["postqueue", "-c", str(paths().postfix_config), "-j"], capture_output=True,
                                 text=True, check=True).stdout
        in_flight = [line for line in listing.splitlines()
                     if line.strip() and json.loads(line)["queue_name"] in ("maildrop", "incoming", "active")]
        if not in_flight:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"Postfix still delivering after {timeout} s: {in_flight}")
        time.sleep(0.2)
