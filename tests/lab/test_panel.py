"""The panel at https://mx.example.net/ from the client: HTTP redirects to HTTPS, HSTS is sent,
the certificate is the lab's, and the first superadmin works in Chromium."""
import json
import re

from tests.lab.hosts import CHECKOUT
from tests.lab.mail import client_mail, new_subject, remote_delivery, remote_send
from tests.lab.pki import spki_sha256
from tests.lab.waiting import wait_until

BROWSER = str(CHECKOUT / "tests" / "lab" / "client_browser.py")


def test_http_redirects_to_https_which_sends_hsts_with_the_lab_certificate(mx):
    redirect = mx.client.run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                             "http://mx.example.net/some/page").stdout
    assert redirect == "301 https://mx.example.net/some/page"
    # curl checks the chain against the lab CA alone, and the name.
    headers = mx.client.run("curl", "-sS", "-o", "/dev/null", "-D", "-", "--cacert", str(mx.ca.cert),
                            "https://mx.example.net/login/").stdout
    assert headers.startswith("HTTP/1.1 200") or headers.startswith("HTTP/2 200"), headers
    assert re.search(r"(?im)^strict-transport-security: max-age=\d{7,}", headers), headers


def test_the_first_superadmin_creates_a_domain_and_mailbox_in_chromium_which_receives_mail_at_once(mx):
    password = re.search(r"password: (\S+)", mx.install_output).group(1)
    arguments = {"host": "mx.example.net", "spki": spki_sha256(mx.mx_key), "username": "admin", "password": password,
                 "domain": "example.net", "local_part": "carol", "mailbox_password": "carol's panel password",
                 "screenshots": str(CHECKOUT / "artifacts" / "screenshots")}
    found = json.loads(mx.client.run(str(CHECKOUT / ".venv" / "bin" / "python"), BROWSER, json.dumps(arguments),
                                     timeout=180).stdout)
    assert found["url"].startswith("https://mx.example.net/")
    assert found["hsts"] and found["hsts"].startswith("max-age=")
    assert "/account/two-factor/setup/" in found["after_sign_in"]
    assert found["domain_created"] and found["mailbox_created"]

    subject = new_subject("to the panel's new mailbox")
    message_id = remote_send(mx, "carol@example.net", subject)
    sent, _ = wait_until(lambda: remote_delivery(mx.remote_log(), message_id), 30, "remote's delivery to carol")
    assert "relay=mx.example.net[" in sent
    login = {"user": "carol@example.net", "password": "carol's panel password"}
    wait_until(lambda: subject in client_mail(mx, "imap_subjects", **login), 30, "the message in carol's INBOX")
