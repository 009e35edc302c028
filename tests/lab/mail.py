"""Mail between the lab's hosts: remote's sendmail and log, the client's mail programs
(tests/lab/client_mail.py run in the client's namespace), and manage.py on the installed mx."""
import json
import re
import uuid

from tests.lab.hosts import CHECKOUT, HOSTS
from tests.lab.network import run

PANEL_USER = "mailadmin"
CLIENT_MAIL = str(CHECKOUT / "tests" / "lab" / "client_mail.py")


def new_subject(what):
    return f"lab {what} {uuid.uuid4()}"


def remote_send(lab, to, subject, sender="bob@example.com", body="Hello.\n"):
    """Mail from bob at remote, through remote's own Postfix (which finds the MX by itself);
    returns its Message-ID."""
    message_id = f"<{uuid.uuid4()}@example.com>"
    lab.remote.run("/usr/sbin/sendmail", "-f", sender, to,
                   input=f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: {message_id}\n\n{body}")
    return message_id


def queue_id(log, message_id):
    """The queue ID Postfix gave the message with `message_id`, from its log; None before."""
    return next(iter(re.findall(rf"(\w+): message-id={re.escape(message_id)}", log)), None)


def remote_delivery(log, message_id):
    """Remote's log of the message with `message_id`: (the `status=sent` line, the TLS line of the
    same smtp process before it) or None while it is not sent."""
    queue_id_ = queue_id(log, message_id)
    if not queue_id_:
        return None
    sent = re.search(rf"postfix/smtp\[(\d+)\]: {queue_id_}: to=.*status=sent.*", log)
    if not sent:
        return None
    tls = re.findall(rf"postfix/smtp\[{sent.group(1)}\]: (\S+ TLS connection established to .*)", log[:sent.start()])
    return sent.group(0), tls[-1] if tls else None


def client_mail(lab, action, **arguments):
    """Runs a mail client of tests/lab/client_mail.py on the client host; its JSON result."""
    if action not in ("auth_without_tls", "smtp_to_mx"):
        arguments.setdefault("ca", str(lab.ca.cert))
    arguments.setdefault("host", "mx.example.net")
    done = lab.client.run("python3", CLIENT_MAIL, action, json.dumps(arguments), timeout=90)
    return json.loads(done.stdout)


def from_remote(**arguments):
    """Plain SMTP to mx's port 25 from remote's own address (tests/lab/client_mail.py, run in
    remote's network namespace): what any host of the internet may try."""
    arguments = {"host": HOSTS["mx"].ipv4} | arguments
    done = run("ip", "netns", "exec", HOSTS["remote"].netns, "python3", CLIENT_MAIL, "smtp_to_mx",
               json.dumps(arguments), timeout=90)
    return json.loads(done.stdout)


def as_panel_user(lab, *command, input=None):
    """A command on mx as the panel's system user, with the panel's settings (what its units read)."""
    return lab.mx.run("runuser", "-u", PANEL_USER, "--", "sh", "-c",
                      'set -a && . /etc/mailadmin/mailadmin.env && exec "$@"', "sh", *command, input=input,
                      cwd=str(CHECKOUT), env={"DJANGO_SETTINGS_MODULE": "mailadmin.settings"}, check=False)


def manage(lab, *arguments, input=None):
    """`./mailctl manage ...` on mx, as an operator runs manage.py there (as the panel's user)."""
    return lab.mx.run("./mailctl", "manage", *arguments, input=input, cwd=str(CHECKOUT), check=False)


def create_mailbox(lab, domain, local_part, password):
    """A domain (if new) and a mailbox, through the services the panel and the API use, run by
    `./mailctl manage shell` (manage.py as the panel's user)."""
    done = manage(lab, "shell", input=f"""
from domains import services
from domains.audit import Actor
from domains.models import Domain
actor = Actor.command("lab")
domain = Domain.objects.filter(name={domain!r}).first() or services.domain_create(actor=actor, name={domain!r})
services.mailbox_create(actor=actor, domain=domain, local_part={local_part!r}, password={password!r})
""")
    assert done.returncode == 0, done.stderr
    return f"{local_part}@{domain}"


def queue(host):
    """The Postfix queue of a lab host (`postqueue -j`): one dict per message."""
    listing = host.run("postqueue", "-j").stdout
    return [json.loads(line) for line in listing.splitlines() if line.strip()]


def remote_deferral(log, message_id):
    """Remote's `status=deferred` line for the message with `message_id`, or None."""
    queue_id_ = queue_id(log, message_id)
    found = queue_id_ and re.search(rf"{queue_id_}: to=.*status=deferred.*", log)
    return found.group(0) if found else None


def bounces(lab):
    """Bounces remote's log shows, and delivery-status notices in bob's mailbox at remote."""
    mailbox = lab.remote.path("/var/mail/bob")
    notices = mailbox.read_text().count("From: MAILER-DAEMON") if mailbox.exists() else 0
    return re.findall(r".*status=bounced.*", lab.remote_log()), notices
