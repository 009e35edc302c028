"""Mail clients set themselves up (docs/webmail.md): Thunderbird's autoconfig, Outlook's
Autodiscover, the owner's Apple profile; unknown or inactive domains get 404."""
import imaplib
import plistlib
import smtplib
import xml.etree.ElementTree as ElementTree

import pytest

from domains import services
from tests import mail
from tests.conftest import PASSWORD
from tests.selfservice.conftest import signed_in

pytestmark = pytest.mark.stack
WELL_KNOWN = "/.well-known/autoconfig/mail/config-v1.1.xml"


def autoconfig(client, address, url=WELL_KNOWN, **extra):
    return client.get(url, {"emailaddress": address}, **extra)


def servers(xml: bytes) -> dict:
    """{(tag, type): {element: text}} of the config-v1.1.xml, checked against the elements its
    schema requires of each server."""
    root = ElementTree.fromstring(xml)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    [provider] = root.findall("emailProvider")
    found = {}
    for server in [*provider.findall("incomingServer"), *provider.findall("outgoingServer")]:
        fields = {child.tag: child.text for child in server}
        assert set(fields) == {"hostname", "port", "socketType", "authentication", "username"}, fields
        assert fields["socketType"] in ("SSL", "STARTTLS") and fields["authentication"] == "password-cleartext"
        found.setdefault((server.tag, server.get("type")), fields)
    return {"domain": provider.findtext("domain"), **found}


def connect_imap(fields):
    if fields["socketType"] == "SSL":
        return imaplib.IMAP4_SSL(fields["hostname"], int(fields["port"]), ssl_context=mail.tls_context())
    client = imaplib.IMAP4(fields["hostname"], int(fields["port"]))
    client.starttls(ssl_context=mail.tls_context())
    return client


def connect_smtp(fields):
    if fields["socketType"] == "SSL":
        return smtplib.SMTP_SSL(fields["hostname"], int(fields["port"]), context=mail.tls_context())
    client = smtplib.SMTP(fields["hostname"], int(fields["port"]))
    client.starttls(context=mail.tls_context())
    return client


def test_a_client_configured_from_exactly_the_autoconfig_logs_in_and_sends(client, owner):
    response = autoconfig(client, owner.email)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    found = servers(response.content)
    assert found["domain"] == owner.domain.name
    imap, smtp = found[("incomingServer", "imap")], found[("outgoingServer", "smtp")]
    assert int(imap["port"]) == mail.PORTS["imap"] and int(smtp["port"]) == mail.PORTS["submission"]
    assert int(found[("incomingServer", "pop3")]["port"]) == mail.PORTS["pop3"]

    login = imap["username"].replace("%EMAILADDRESS%", owner.email)
    reader = connect_imap(imap)
    assert reader.login(login, PASSWORD)[0] == "OK"
    reader.logout()
    sent = mail.message(owner.email, sender=owner.email)
    with connect_smtp(smtp) as sender:
        sender.login(smtp["username"].replace("%EMAILADDRESS%", owner.email), PASSWORD)
        sender.send_message(sent)
    mail.wait_for(owner.email, PASSWORD, sent["Subject"])


def test_the_autoconfig_host_of_a_domain_answers_without_the_address(client, owner, settings):
    settings.ALLOWED_HOSTS = [".self.example"]
    response = client.get("/mail/config-v1.1.xml", HTTP_HOST="autoconfig.self.example")
    assert response.status_code == 200 and servers(response.content)["domain"] == "self.example"


def test_thunderbird_gets_the_answer_over_plain_http_where_everything_else_is_redirected(client, owner, settings):
    """As deployed (HTTPS redirect on): Thunderbird asks autoconfig.<domain> over plain HTTP too."""
    settings.SECURE_SSL_REDIRECT, settings.ALLOWED_HOSTS = True, [".self.example"]
    for url in ("/mail/config-v1.1.xml", WELL_KNOWN):
        response = autoconfig(client, owner.email, url, HTTP_HOST="autoconfig.self.example")
        assert response.status_code == 200 and servers(response.content)["domain"] == "self.example", url
    assert client.get("/me/", HTTP_HOST="autoconfig.self.example").status_code == 301


def test_unknown_and_inactive_domains_get_404(client, owner, owners):
    assert autoconfig(client, "someone@unknown.example").status_code == 404
    assert autoconfig(client, "not an address").status_code == 404
    other = owners.factory.__class__("inactive.example")
    services.domain_update(actor=other.actor, domain=other.domain, active=False)
    assert autoconfig(client, "someone@inactive.example").status_code == 404
    assert autodiscover(client, "someone@inactive.example").status_code == 404


def test_the_answer_is_cached_and_asks_the_database_once(client, owner, django_assert_num_queries):
    address = owner.email.replace("@", "+cached@")
    first = autoconfig(client, address)
    with django_assert_num_queries(0):
        again = autoconfig(client, address)
    assert first.content == again.content and "max-age" in again["Cache-Control"]


def autodiscover(client, address):
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
            'autodiscover/outlook/requestschema/2006"><Request>'
            f"<EMailAddress>{address}</EMailAddress>"
            "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
            "</AcceptableResponseSchema></Request></Autodiscover>")
    return client.post("/autodiscover/autodiscover.xml", body, content_type="text/xml")


def test_autodiscover_names_the_servers_for_the_address(client, owner):
    response = autodiscover(client, owner.email)
    assert response.status_code == 200
    namespace = {"r": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}
    protocols = {protocol.findtext("r:Type", namespaces=namespace): protocol
                 for protocol in ElementTree.fromstring(response.content).iterfind(".//r:Protocol", namespace)}
    assert set(protocols) == {"IMAP", "POP3", "SMTP"}
    assert protocols["IMAP"].findtext("r:Port", namespaces=namespace) == str(mail.PORTS["imap"])
    assert protocols["SMTP"].findtext("r:LoginName", namespaces=namespace) == owner.email
    assert autodiscover(client, "someone@unknown.example").status_code == 404
    assert client.get("/autodiscover/autodiscover.xml").status_code == 405


def test_the_owner_downloads_an_apple_profile_without_the_password(client, owner):
    assert client.get("/me/mobileconfig/").status_code == 302  # signed out: to the sign-in page
    response = signed_in(client, owner).get("/me/mobileconfig/")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-apple-aspen-config"
    assert response["Content-Disposition"] == f'attachment; filename="{owner.email}.mobileconfig"'
    profile = plistlib.loads(response.content)
    [account] = profile["PayloadContent"]
    assert account["PayloadType"] == "com.apple.mail.managed" and account["EmailAddress"] == owner.email
    assert (account["IncomingMailServerHostName"], account["IncomingMailServerPortNumber"]) == (
        "127.0.0.1", mail.PORTS["imap"])
    assert not [key for key in account if "Password" in key and key != "OutgoingPasswordSameAsIncomingPassword"]
    assert PASSWORD.encode() not in response.content


def test_the_owners_page_links_to_webmail_and_the_profile(client, owner):
    page = signed_in(client, owner).get("/me/").content.decode()
    assert f'href="http://127.0.0.1:{mail.PORTS["webmail"]}/webmail/"' in page
    assert 'href="/me/mobileconfig/"' in page
