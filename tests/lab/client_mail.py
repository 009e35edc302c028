"""Mail clients of the lab's client host, run there by the system's python3 (standard library only):

    python3 client_mail.py ACTION '{"host": "mx.example.net", ...}'   ->   one JSON result on stdout

Every TLS connection checks the server's certificate and name against the lab CA given as "ca".
An SMTP refusal is a result, not an error: {"refused": [code, "reply"], "at": "MAIL FROM"}.
"""
import base64
import email
import imaplib
import json
import poplib
import smtplib
import socket
import ssl
import sys
from email.message import EmailMessage

TIMEOUT = 30



def refusal(refused, stage: str) -> dict:
    """A refused recipient (RCPT TO) or command (at `stage`): its code and reply, and where it came."""
    if isinstance(refused, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(refused.recipients.values()))
        return {"refused": [code, reply.decode()], "at": "RCPT TO"}
    return {"refused": [refused.smtp_code, refused.smtp_error.decode()], "at": stage}

def context(ca):
    return ssl.create_default_context(cafile=ca)


def subject_of(header_bytes):
    return str(email.message_from_bytes(header_bytes)["Subject"])


def imap_subjects(host, user, password, ca):
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        imap.login(user, password)
        imap.select("INBOX", readonly=True)
        numbers = imap.search(None, "ALL")[1][0].split()
        return [subject_of(imap.fetch(n, "(BODY.PEEK[HEADER])")[1][0][1]) for n in numbers]


def imap_message(host, user, password, ca, subject):
    """The whole message with `subject` in INBOX, as text."""
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        imap.login(user, password)
        imap.select("INBOX", readonly=True)
        numbers = imap.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
        return imap.fetch(numbers[0], "(BODY.PEEK[])")[1][0][1].decode() if numbers else None


def pop3_subjects(host, user, password, ca):
    pop = poplib.POP3_SSL(host, 995, context=context(ca), timeout=TIMEOUT)
    try:
        pop.user(user)
        pop.pass_(password)
        return [subject_of(b"\r\n".join(pop.top(n, 0)[1])) for n in range(1, len(pop.list()[1]) + 1)]
    finally:
        pop.quit()


def submit(host, port, user, password, sender, to, subject, ca):
    """Submits as `user` over 465 (implicit TLS) or 587 (STARTTLS): {"sent": true} or the refusal."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail.set_content("Sent from the lab's client.\n")
    if port == 465:
        smtp = smtplib.SMTP_SSL(host, port, context=context(ca), timeout=TIMEOUT)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
        smtp.starttls(context=context(ca))
    stage = "AUTH"
    try:
        smtp.login(user, password)
        stage = "MAIL FROM"
        smtp.send_message(mail, from_addr=sender, to_addrs=[to])
        return {"sent": True}
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as refused:
        return refusal(refused, stage)
    finally:
        smtp.close()


def smtp_to_mx(host, sender, to, subject, source=None, pregreet=False, body="Sent from the lab's client.\n"):
    """Plain SMTP to port 25 as another mail server would send, from the address `source` (the
    host's own if None); `pregreet`: talks before the server's greeting is complete.  {"sent": true}
    or the refusal and where it came."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail.set_content(body)
    smtp = smtplib.SMTP(timeout=TIMEOUT, source_address=(source, 0) if source else None)
    stage = "CONNECT"
    try:
        if pregreet:
            smtp.sock = socket.create_connection((host, 25), TIMEOUT, smtp.source_address)
            smtp.sock.sendall(b"EHLO client.example.com\r\n")  # postscreen reads and logs it, answering nothing
            smtp.getreply()  # the greeting
        else:
            smtp.connect(host, 25)
        stage = "MAIL FROM"
        smtp.ehlo("client.example.com")
        smtp.send_message(mail, from_addr=sender, to_addrs=[to])
        return {"sent": True}
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as refused:
        return refusal(refused, stage)
    except (smtplib.SMTPException, OSError) as error:
        return {"error": repr(error), "at": stage}
    finally:
        smtp.close()


def imap_move(host, user, password, ca, subject, source, target):
    """Moves the message with `subject` from folder `source` to `target` (UID MOVE), as a mail
    client does when its user drags a message: {"moved": true}, or the server's answer."""
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        imap.login(user, password)
        imap.select(f'"{source}"')
        uids = imap.uid("SEARCH", "SUBJECT", f'"{subject}"')[1][0].split()
        if len(uids) != 1:
            return {"moved": False, "found": len(uids)}
        status, answer = imap.uid("MOVE", uids[0], f'"{target}"')
        return {"moved": status == "OK", "reply": [part.decode() for part in answer if part]}


def imap_folder_message(host, user, password, ca, subject, folder):
    """The whole message with `subject` in `folder`, as text, or None."""
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        imap.login(user, password)
        imap.select(f'"{folder}"', readonly=True)
        numbers = imap.search(None, "SUBJECT", f'"{subject}"')[1][0].split()
        return imap.fetch(numbers[0], "(BODY.PEEK[])")[1][0][1].decode() if numbers else None


def deliver(host, sender, to, subject, ca):
    """Delivers to `host`'s port 25 as another mail server would (STARTTLS, no login):
    {"sent": true} or the refusal."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail.set_content("Delivered by the lab's client.\n")
    with smtplib.SMTP(host, 25, local_hostname="client.example.com", timeout=TIMEOUT) as smtp:
        smtp.starttls(context=context(ca))
        try:
            smtp.send_message(mail, from_addr=sender, to_addrs=[to])
            return {"sent": True}
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as refused:
            return refusal(refused, "MAIL FROM")


def auth_without_tls(host, port, user, password):
    """AUTH PLAIN on the plain connection, before STARTTLS: the EHLO offer and the reply."""
    with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
        smtp.ehlo("client.example.com")
        offered = smtp.has_extn("auth")
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        code, reply = smtp.docmd("AUTH", f"PLAIN {token}")
        return {"auth_offered": offered, "starttls_offered": smtp.has_extn("starttls"), "reply": [code, reply.decode()]}


def imap_login(host, user, password, ca):
    """{"ok": true} when the login is accepted over IMAPS, else the server's answer."""
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        try:
            imap.login(user, password)
            return {"ok": True}
        except imaplib.IMAP4.error as error:
            return {"ok": False, "reply": str(error)}


def imap_session(host, user, password, ca):
    """Logs in over IMAPS, says so on stdout, waits for a line on stdin, then reports whether
    the server has ended the session meanwhile (a NOOP that fails)."""
    imap = imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT)
    imap.login(user, password)
    imap.select("INBOX")
    print(json.dumps({"logged_in": True}), flush=True)
    sys.stdin.readline()
    try:
        imap.noop()
        return {"ended": False}
    except (imaplib.IMAP4.abort, OSError) as error:
        return {"ended": True, "reason": str(error)}


def imap_file(host, user, password, ca, folder, count):
    """Makes `folder` (if missing) and appends `count` messages to it over IMAPS, as a mail
    client files mail; {"appended": count}."""
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        imap.login(user, password)
        imap.create(f'"{folder}"')  # NO when it exists already
        for number in range(count):
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = user, user, f"filed into {folder} {number}"
            mail.set_content(f"Filed into {folder}, number {number}.")
            assert imap.append(f'"{folder}"', None, None, mail.as_bytes())[0] == "OK"
    return {"appended": count}


def imap_folders(host, user, password, ca, folders):
    """Per folder: [the number of messages, a SHA-256 over their sorted contents' SHA-256s]."""
    import hashlib

    found = {}
    with imaplib.IMAP4_SSL(host, 993, ssl_context=context(ca), timeout=TIMEOUT) as imap:
        imap.login(user, password)
        for folder in folders:
            if imap.select(f'"{folder}"', readonly=True)[0] != "OK":
                found[folder] = None
                continue
            numbers = imap.search(None, "ALL")[1][0].split()
            digests = sorted(hashlib.sha256(imap.fetch(n, "(BODY.PEEK[])")[1][0][1]).hexdigest() for n in numbers)
            found[folder] = [len(digests), hashlib.sha256("".join(digests).encode()).hexdigest()]
    return found


def certificate(host, port, ca, starttls=None):
    """The certificate `host` serves on `port` (STARTTLS first with "smtp"), checked against `ca`
    and the host name: its issuer and subject common names and its serial number (hex)."""
    if starttls == "smtp":
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
        smtp.starttls(context=context(ca))
        peer = smtp.sock.getpeercert()
        smtp.close()
    else:
        with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
            with context(ca).wrap_socket(raw, server_hostname=host) as tls:
                peer = tls.getpeercert()
    names = {kind: dict(pair[0] for pair in peer[kind]).get("commonName") for kind in ("issuer", "subject")}
    return names | {"serial": peer["serialNumber"]}


if __name__ == "__main__":
    action, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(globals()[action](**arguments)))
