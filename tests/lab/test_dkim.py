"""DKIM, SPF and DMARC as the far end sees them (issue 15's lab points 1 and 7): the lab DNS
publishes the records mx's panel shows for example.org, our user's mail verifies at remote,
a rotation keeps both selectors verifying while both are published, and the panel's DNS check
finds every record and flags the one the test removed."""
import json
import re

import pytest

from tests.lab import far_end
from tests.lab.hosts import CHECKOUT, MAIL_DOMAIN
from tests.lab.mail import client_mail, manage, new_subject

VENV_PYTHON = str(CHECKOUT / ".venv" / "bin" / "python")


def panel_records(lab):
    """The zone-file lines the domain page shows for example.org, from the panel on mx."""
    done = manage(lab, "shell", input=f"""
import json
from domains import dns_records
from domains.models import Domain
print(json.dumps([record.zone_line for record in dns_records.expected(Domain.objects.get(name={MAIL_DOMAIN!r}))]))
""")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def publish(lab, records):
    lab.dns.replace_zone(MAIL_DOMAIN, records)


@pytest.fixture(scope="module")
def published(mx, mailbox):
    records = panel_records(mx)
    publish(mx, records)
    return records


def submit_to_bob(lab, mailbox):
    subject = new_subject("signed")
    result = client_mail(lab, "submit", port=587, user=mailbox.address, password=mailbox.password,
                         sender=mailbox.address, to="bob@example.com", subject=subject)
    assert result == {"sent": True}
    return far_end.bob_message(lab, subject)


def selector_of(message):
    return re.search(r"(?:^|;)\s*s=(\w+)", " ".join(message["DKIM-Signature"].split())).group(1)


def verifies_at_remote(lab, message):
    """dkimpy on remote, asking the lab DNS, on the message as bob's mailbox holds it."""
    done = lab.remote.run(VENV_PYTHON, "-c", "import dkim, sys; print(dkim.verify(sys.stdin.buffer.read()))",
                          input=message.as_string(maxheaderlen=0))
    return done.stdout.strip() == "True"


def test_our_users_mail_passes_dkim_spf_and_dmarc_at_remote_and_still_after_a_rotation(mx, mailbox, published):
    first = submit_to_bob(mx, mailbox)
    verdicts = far_end.verdicts(first)
    selector = selector_of(first)
    assert verdicts["spf"] == "pass" and verdicts["dmarc"] == "pass", verdicts
    assert {"result": "pass", "domain": MAIL_DOMAIN} in [
        {k: v for k, v in found.items() if k != "selector"} for found in verdicts["dkim"]], verdicts

    rotated = manage(mx, "dkim_keys", "--rotate", MAIL_DOMAIN)
    assert rotated.returncode == 0, rotated.stderr
    new_selector = rotated.stdout.split()[1]
    early = manage(mx, "dkim_keys", "--activate", MAIL_DOMAIN, new_selector)
    assert early.returncode != 0 and "does not publish the record" in early.stderr  # DNS has not got it yet
    assert selector_of(submit_to_bob(mx, mailbox)) == selector  # the old key signs until the new one is active
    records = panel_records(mx)
    assert any(line.startswith(f"{selector}._domainkey.") for line in records)  # the old key stays published
    assert any(line.startswith(f"{new_selector}._domainkey.") for line in records)
    publish(mx, records)
    activated = manage(mx, "dkim_keys", "--activate", MAIL_DOMAIN, new_selector)
    assert activated.returncode == 0, activated.stderr

    second = submit_to_bob(mx, mailbox)
    assert selector_of(second) == new_selector
    after = far_end.verdicts(second)
    assert after["dmarc"] == "pass" and after["dkim"][0]["result"] == "pass", after
    # Mail signed before the rotation still verifies while the old selector is published.
    assert verifies_at_remote(mx, first) and verifies_at_remote(mx, second)


def dns_check_page(lab):
    """The panel's DNS check page for example.org (its view, as the installed panel renders it
    for the first superadmin), reduced to {(name, type): status}."""
    done = manage(lab, "shell", input=f"""
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from domains.models import Domain
from domains.views.domains import domain_dns
domain = Domain.objects.get(name={MAIL_DOMAIN!r})
request = RequestFactory().get(f"/domains/{{domain.pk}}/dns/", HTTP_HOST="mx.example.net", secure=True)
request.user = get_user_model().objects.filter(is_superuser=True).first()
print(domain_dns(request, pk=domain.pk).content.decode())
""")
    assert done.returncode == 0, done.stderr
    return {(name, kind): status for name, kind, status in
            re.findall(r'data-name="([^"]+)" data-type="(\w+)" data-status="(\w+)"', done.stdout)}


def test_the_dns_check_finds_every_record_in_the_lab_and_flags_a_removed_one(mx, published):
    found = dns_check_page(mx)
    assert found and set(found.values()) == {"found"}, found
    assert ("mx.example.net", "A") in found and ("25.2.0.192.in-addr.arpa", "PTR") in found

    publish(mx, [line for line in panel_records(mx) if not line.startswith(f"_dmarc.{MAIL_DOMAIN}.")])
    try:
        flagged = dns_check_page(mx)
    finally:
        publish(mx, panel_records(mx))
    assert flagged.pop((f"_dmarc.{MAIL_DOMAIN}", "TXT")) == "missing"
    assert set(flagged.values()) == {"found"}, flagged


def test_an_ed25519_second_signature_passes_with_the_rsa_one_at_remote(mx, mailbox, published):
    created = manage(mx, "dkim_keys", "--rotate", MAIL_DOMAIN, "--algorithm", "ed25519")
    assert created.returncode == 0, created.stderr
    selector = created.stdout.split()[1]
    publish(mx, panel_records(mx))
    activated = manage(mx, "dkim_keys", "--activate", MAIL_DOMAIN, selector)
    assert activated.returncode == 0, activated.stderr
    try:
        message = submit_to_bob(mx, mailbox)
    finally:
        manage(mx, "dkim_keys", "--retire", MAIL_DOMAIN, selector)

    results = {found["selector"]: found["result"] for found in far_end.verdicts(message)["dkim"]}
    rsa = next(s for s in results if s != selector)
    assert results[rsa] == "pass" and far_end.verdicts(message)["dmarc"] == "pass", results
    # Remote's own verdict on the Ed25519 signature, and dkimpy's (Debian's, with PyNaCl) against the lab DNS.
    assert results.get(selector) in ("pass", None), results
    done = mx.remote.run("/usr/bin/python3", "-c", """
import dkim, sys
message = sys.stdin.buffer.read()
checker = dkim.DKIM(message)
signatures = [dkim.util.parse_tag_value(v) for n, v in checker.headers if n.lower() == b"dkim-signature"]
print(sorted((s[b"a"].decode(), checker.verify(idx=i)) for i, s in enumerate(signatures)))
""", input=message.as_string(maxheaderlen=0))
    assert done.stdout.strip() == "[('ed25519-sha256', True), ('rsa-sha256', True)]", done.stdout + done.stderr
