"""The DNS records a domain page shows, and its live check against a real DNS server (nsd, on
the suite's resolver port) that publishes them, all but the ones a test leaves out or changes."""
import html
import ipaddress
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from domains import dns_records, services
from domains.audit import Actor
from domains.models import AuditEntry, DkimKey
from tests.api.conftest import Api, make_key

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.command("tests")
ADDRESSES = ["192.0.2.25", "2001:db8:25::25"]


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def domain(settings):
    settings.MAILADMIN_PUBLIC_ADDRESSES = ADDRESSES
    return services.domain_create(actor=ACTOR, name="dns.example")


def test_the_domain_page_shows_every_record_to_publish(admin_client, domain):
    host = settings.MAILSTACK["hostname"]
    key = DkimKey.objects.get(domain=domain)

    page = html.unescape(admin_client.get(f"/domains/{domain.pk}/").content.decode())

    for line in (f"dns.example. MX 10 {host}.", 'dns.example. TXT "v=spf1 mx -all"',
                 f'{key.selector}._domainkey.dns.example. TXT "v=DKIM1; k=rsa; p={key.public_key[:200]}',
                 '_dmarc.dns.example. TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@dns.example"',
                 '_smtp._tls.dns.example. TXT "v=TLSRPTv1; rua=mailto:postmaster@dns.example"',
                 f"_submissions._tcp.dns.example. SRV 0 1 465 {host}.", f"_imaps._tcp.dns.example. SRV 0 1 993 {host}.",
                 f"_pop3s._tcp.dns.example. SRV 0 1 995 {host}.", f"autoconfig.dns.example. CNAME {host}.",
                 f"autodiscover.dns.example. CNAME {host}.", f"{host}. A 192.0.2.25", f"{host}. AAAA 2001:db8:25::25",
                 f"25.2.0.192.in-addr.arpa. PTR {host}.",
                 f"{ipaddress.ip_address(ADDRESSES[1]).reverse_pointer}. PTR {host}."):
        assert line in page, line
    assert f'/domains/{domain.pk}/dns/' in page


def statuses(page):
    return {(name, kind): status for name, kind, status in
            re.findall(r'data-name="([^"]+)" data-type="(\w+)" data-status="(\w+)"', page)}


def test_check_now_shows_each_record_found_missing_or_different_with_what_dns_has(admin_client, domain, nsd):
    records = dns_records.expected(domain)
    spf = next(r for r in records if r.value.startswith("v=spf1"))
    published = [r for r in records if not r.name.startswith("_dmarc.")]
    changed = dns_records.Record(spf.purpose, spf.name, "TXT", "v=spf1 a -all")
    nsd.serve([changed if r is spf else r for r in published])

    response = admin_client.get(f"/domains/{domain.pk}/dns/")

    page = html.unescape(response.content.decode())
    found = statuses(page)
    assert found.pop(("_dmarc.dns.example", "TXT")) == "missing"
    assert found.pop(("dns.example", "TXT")) == "different" and "v=spf1 a -all" in page
    assert set(found.values()) == {"found"}, found
    assert len(found) == len(records) - 2


def test_the_api_gives_the_same_records_and_verdicts_within_the_keys_scope(api, domain, nsd):
    nsd.serve(dns_records.expected(domain))
    other = services.domain_create(actor=ACTOR, name="other.example")
    inside = make_key("dns", domains=[domain])[1]

    answer = api("GET", "domains/dns.example/dns/", key=inside)

    assert answer.status_code == 200
    assert answer.body["domain"] == "dns.example"
    assert [(r["name"], r["type"], r["value"]) for r in answer.body["records"]] == [
        (r.name, r.type, r.value) for r in dns_records.expected(domain)]
    assert {r["status"] for r in answer.body["records"]} == {"found"}
    assert api("GET", "domains/other.example/dns/", key=inside).status_code == 404
    assert api("GET", "domains/other.example/dns/", key=make_key("other", domains=[other])[1]).status_code == 200


def key_states(page):
    return dict(re.findall(r'data-selector="(\w+)" data-state="(\w+)"', page))


def test_a_rotation_from_the_panel_signs_once_dns_publishes_the_new_key_and_until_then_the_old_one_does(
        admin_client, domain, nsd):
    old = DkimKey.objects.get(domain=domain)

    assert admin_client.post(f"/domains/{domain.pk}/dkim/rotate/").status_code == 302

    new = DkimKey.objects.get(domain=domain, signing=False)
    nsd.serve([record for record in dns_records.expected(domain) if record.name != new.record_name])
    page = html.unescape(admin_client.get(f"/domains/{domain.pk}/dns/").content.decode())
    assert key_states(page) == {old.selector: "signing", new.selector: "published"}
    assert statuses(page)[(new.record_name, "TXT")] == "missing" and new.record_value[:200] in page
    page = html.unescape(admin_client.post(f"/domains/{domain.pk}/dkim/{new.selector}/activate/",
                                           follow=True).content.decode())
    assert f"DNS does not publish the record {new.record_name} yet" in page
    assert key_states(page) == {old.selector: "signing", new.selector: "published"}

    nsd.serve(dns_records.expected(domain))
    page = html.unescape(admin_client.post(f"/domains/{domain.pk}/dkim/{new.selector}/activate/",
                                           follow=True).content.decode())

    assert key_states(page) == {new.selector: "signing", old.selector: "replaced"}
    assert admin_client.post(f"/domains/{domain.pk}/dkim/{new.selector}/retire/").status_code == 302
    assert DkimKey.objects.get(pk=new.pk).retired is None  # the signing key stays
    assert admin_client.post(f"/domains/{domain.pk}/dkim/{old.selector}/retire/").status_code == 302
    page = admin_client.get(f"/domains/{domain.pk}/").content.decode()
    assert f"{old.selector}._domainkey" not in page and f"{new.selector}._domainkey" in page


def test_only_a_superadmin_forces_an_activation_and_other_domains_admins_reach_no_key(admin_client, domain, nsd):
    nsd.serve([])  # the new key is not in DNS: found missing at once
    other = services.domain_create(actor=ACTOR, name="other.example")
    new = services.dkim_key_create(actor=ACTOR, domain=domain)
    olga = get_user_model().objects.create_user("olga", password="a long enough password")
    olga.domains.add(domain)
    owner, stranger = Client(), Client()
    owner.force_login(olga)
    stranger.force_login(get_user_model().objects.create_user("nina", password="a long enough password"))
    get_user_model().objects.get(username="nina").domains.add(other)
    audit_rows = AuditEntry.objects.count()

    for path in (f"/domains/{domain.pk}/dkim/rotate/", f"/domains/{domain.pk}/dkim/{new.selector}/activate/",
                 f"/domains/{domain.pk}/dkim/{new.selector}/retire/"):
        assert stranger.post(path, {"force": "1"}).status_code == 404, path
    owner.post(f"/domains/{domain.pk}/dkim/{new.selector}/activate/", {"force": "1"})
    assert DkimKey.objects.get(pk=new.pk).state == "published" and AuditEntry.objects.count() == audit_rows

    admin_client.post(f"/domains/{domain.pk}/dkim/{new.selector}/activate/", {"force": "1"})

    assert DkimKey.objects.get(pk=new.pk).state == "signing"


def test_the_api_rotates_activates_and_retires_keys_within_its_scope(api, domain, nsd):
    other = services.domain_create(actor=ACTOR, name="other.example")
    inside, everywhere = make_key("dns", domains=[domain])[1], make_key("all", all_domains=True)[1]
    old = DkimKey.objects.get(domain=domain)

    created = api("POST", "domains/dns.example/dkim-keys/", {}, key=inside)

    assert created.status_code == 201 and created.body["state"] == "published", created.body
    new = created.body["selector"]
    nsd.serve([record for record in dns_records.expected(domain) if not record.name.startswith(f"{new}.")])
    assert [(k["selector"], k["state"]) for k in api("GET", "domains/dns.example/dkim-keys/", key=inside).body] == [
        (old.selector, "signing"), (new, "published")]
    records = api("GET", "domains/dns.example/dns/", key=inside).body["records"]
    assert [r["status"] for r in records if r["name"] == f"{new}._domainkey.dns.example"] == ["missing"]
    refused = api("POST", f"domains/dns.example/dkim-keys/{new}/activate/", {}, key=inside)
    assert refused.status_code == 422 and refused.body["code"] == "dkim_not_published", refused.body
    assert api("POST", f"domains/dns.example/dkim-keys/{new}/activate/", {"force": True},
               key=inside).status_code == 403
    for method, path in (("GET", "dkim-keys/"), ("POST", "dkim-keys/"), ("GET", f"dkim-keys/{old.selector}/"),
                         ("POST", f"dkim-keys/{old.selector}/activate/"), ("DELETE", f"dkim-keys/{old.selector}/")):
        assert api(method, f"domains/other.example/{path}", {} if method == "POST" else None,
                   key=inside).status_code == 404
    assert DkimKey.objects.get(domain=domain, selector=new).state == "published"
    assert DkimKey.objects.filter(domain=other).count() == 1

    nsd.serve(dns_records.expected(domain))
    activated = api("POST", f"domains/dns.example/dkim-keys/{new}/activate/", {}, key=inside)

    assert activated.status_code == 200 and activated.body["state"] == "signing", activated.body
    assert api("DELETE", f"domains/dns.example/dkim-keys/{new}/", key=inside).status_code == 422
    assert api("DELETE", f"domains/dns.example/dkim-keys/{old.selector}/", key=inside).status_code == 204
    third = api("POST", "domains/dns.example/dkim-keys/", {}, key=everywhere).body["selector"]
    forced = api("POST", f"domains/dns.example/dkim-keys/{third}/activate/", {"force": True}, key=everywhere)
    assert forced.status_code == 200 and forced.body["state"] == "signing", forced.body
