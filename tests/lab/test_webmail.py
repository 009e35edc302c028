"""Roundcube at https://mx.example.net/webmail/ from the client host (docs/webmail.md): the
install serves it through its nginx site and Debian's php-fpm, and it reads mail remote sent."""
import json

from tests.lab.hosts import CHECKOUT
from tests.lab.mail import client_mail, create_mailbox, new_subject, remote_delivery, remote_send
from tests.lab.pki import spki_sha256
from tests.lab.waiting import wait_until

WEBMAIL = str(CHECKOUT / "tests" / "lab" / "client_webmail.py")
NEW_PASSWORD = "wendy's new webmail password"


def test_the_owner_reads_in_roundcube_from_the_client_a_message_remote_sent_and_changes_the_password(mx):
    password = "wendy's webmail password"
    address = create_mailbox(mx, "example.org", "wendy", password)
    subject = new_subject("read in webmail")
    message_id = remote_send(mx, address, subject)
    wait_until(lambda: remote_delivery(mx.remote_log(), message_id), 30, "remote's delivery to wendy")
    arguments = {"host": "mx.example.net", "spki": spki_sha256(mx.mx_key), "user": address, "password": password,
                 "subject": subject, "new_password": NEW_PASSWORD,
                 "screenshots": str(CHECKOUT / "artifacts" / "screenshots")}
    done = mx.client.run(str(CHECKOUT / ".venv" / "bin" / "python"), WEBMAIL, json.dumps(arguments), timeout=120,
                         check=False)
    logs = mx.mx.run("sh", "-c", "tail -n 20 /var/log/roundcube/*.log /var/log/nginx/access.log", check=False).stdout
    assert done.returncode == 0, f"{done.stderr[-3000:]}\n{logs}"
    found = json.loads(done.stdout)
    assert found["after_login"].startswith("https://mx.example.net/webmail/?_task=mail")
    assert "Hello." in found["body"]
    assert found["password_saved"]  # through the panel's endpoint, over this host's nginx
    assert subject in client_mail(mx, "imap_subjects", user=address, password=NEW_PASSWORD)


def test_mail_clients_get_the_servers_over_http_and_https(mx):
    create_mailbox(mx, "example.org", "erin", "erin's lab password")
    thunderbird = mx.client.run("curl", "-sS", "--fail", "http://mx.example.net/.well-known/autoconfig/mail/"
                                "config-v1.1.xml?emailaddress=erin@example.org").stdout
    assert "<hostname>mx.example.net</hostname>" in thunderbird
    assert "<port>993</port>" in thunderbird and "<port>465</port>" in thunderbird
    request = ("<Autodiscover><Request><EMailAddress>erin@example.org</EMailAddress>"
               "</Request></Autodiscover>")
    outlook = mx.client.run("curl", "-sS", "--fail", "--cacert", str(mx.ca.cert), "-H", "Content-Type: text/xml",
                            "--data-binary", request, "https://mx.example.net/autodiscover/autodiscover.xml").stdout
    assert "<Server>mx.example.net</Server>" in outlook and "<Port>993</Port>" in outlook
    unknown = mx.client.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://mx.example.net/mail/config-v1.1.xml?emailaddress=x@unknown.example").stdout
    assert unknown == "404"
