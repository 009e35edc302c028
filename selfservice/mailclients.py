"""What mail clients set themselves up from (docs/webmail.md): Thunderbird's autoconfig XML,
Microsoft's Autodiscover (POX) answer and an Apple configuration profile.

The servers are the stack's own: on an installed host its host name and the standard ports with
implicit TLS (and 587 with STARTTLS); in the bundled stack 127.0.0.1 and its loopback ports with
STARTTLS.  An answer depends only on the domain, which must be one of ours and active: that one
lookup is cached for a minute in each panel process, so a client asking again costs no query
(and a domain created or turned off is answered accordingly within that minute).
"""
import plistlib
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache

from domains.models import Domain
from mailstack import health
from mailstack.config import PRODUCTION_PORTS

CACHE_SECONDS = 60


@dataclass(frozen=True)
class Server:
    kind: str  # imap, pop3, smtp
    hostname: str
    port: int
    tls: str  # "SSL" (implicit TLS) or "STARTTLS", as Thunderbird names them


def servers() -> list[Server]:
    """IMAP first, then POP3, then SMTP (each in the order a client should try them)."""
    if health.installed():
        host = settings.MAILSTACK["hostname"]
        return [Server("imap", host, PRODUCTION_PORTS["imaps"], "SSL"),
                Server("pop3", host, PRODUCTION_PORTS["pop3s"], "SSL"),
                Server("smtp", host, PRODUCTION_PORTS["submissions"], "SSL"),
                Server("smtp", host, PRODUCTION_PORTS["submission"], "STARTTLS")]
    ports = settings.MAILSTACK["ports"]
    return [Server("imap", "127.0.0.1", ports["imap"], "STARTTLS"),
            Server("pop3", "127.0.0.1", ports["pop3"], "STARTTLS"),
            Server("smtp", "127.0.0.1", ports["submission"], "STARTTLS")]


def webmail_url() -> str:
    """Where Roundcube answers ("" with the webmail off): /webmail/ on the installed host, the
    bundled stack's own nginx port otherwise."""
    if not settings.MAILSTACK["webmail"]:
        return ""
    return "/webmail/" if health.installed() else f"http://127.0.0.1:{settings.MAILSTACK['ports']['webmail']}/webmail/"


def served_domain(name: str) -> str | None:
    """The domain's name (lower case) when it is one of ours and active, else None; cached."""
    name = name.strip().lower().rstrip(".")
    if not name or len(name) > 253:
        return None
    key = f"mailclients:domain:{name}"
    found = cache.get(key)
    if found is None:
        found = Domain.objects.filter(name=name, active=True).exists()
        cache.set(key, found, CACHE_SECONDS)
    return name if found else None


def domain_of(address: str) -> str | None:
    local, at, domain = address.strip().rpartition("@")
    return served_domain(domain) if at and local else None


def thunderbird(domain: str) -> str:
    """config-v1.1.xml (Thunderbird's autoconfig), the user name being the whole address."""
    def server(entry: Server) -> str:
        tag = "outgoingServer" if entry.kind == "smtp" else "incomingServer"
        return (f'    <{tag} type="{entry.kind}">\n'
                f"      <hostname>{escape(entry.hostname)}</hostname>\n"
                f"      <port>{entry.port}</port>\n"
                f"      <socketType>{entry.tls}</socketType>\n"
                f"      <authentication>password-cleartext</authentication>\n"
                f"      <username>%EMAILADDRESS%</username>\n"
                f"    </{tag}>\n")

    return ('<?xml version="1.0" encoding="UTF-8"?>\n<clientConfig version="1.1">\n'
            f'  <emailProvider id="{escape(domain)}">\n'
            f"    <domain>{escape(domain)}</domain>\n"
            f"    <displayName>{escape(domain)}</displayName>\n"
            f"    <displayShortName>{escape(domain)}</displayShortName>\n"
            + "".join(server(entry) for entry in servers())
            + "  </emailProvider>\n</clientConfig>\n")


def autodiscover(address: str) -> str:
    """The POX answer (Outlook's Autodiscover 2006 schema) for one address."""
    def protocol(entry: Server) -> str:
        return ("      <Protocol>\n"
                f"        <Type>{entry.kind.upper()}</Type>\n"
                f"        <Server>{escape(entry.hostname)}</Server>\n"
                f"        <Port>{entry.port}</Port>\n"
                f"        <LoginName>{escape(address)}</LoginName>\n"
                "        <DomainRequired>off</DomainRequired>\n"
                "        <SPA>off</SPA>\n"
                f"        <SSL>{'on' if entry.tls == 'SSL' else 'off'}</SSL>\n"
                f"        <Encryption>{'SSL' if entry.tls == 'SSL' else 'TLS'}</Encryption>\n"
                "        <AuthRequired>on</AuthRequired>\n"
                "      </Protocol>\n")

    chosen = [next(entry for entry in servers() if entry.kind == kind) for kind in ("imap", "pop3", "smtp")]
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">\n'
            '  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">\n'
            "    <Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n"
            + "".join(protocol(entry) for entry in chosen)
            + "    </Account>\n  </Response>\n</Autodiscover>\n")


def mobileconfig(address: str) -> bytes:
    """An unsigned Apple configuration profile with one IMAP account and no password (the device
    asks for it).  Its identifiers follow from the address, so a new download replaces the old
    profile on the device."""
    imap = next(entry for entry in servers() if entry.kind == "imap")
    smtp = next(entry for entry in servers() if entry.kind == "smtp")
    profile_id = f"mailadmin.{settings.MAILSTACK['hostname']}.{address}"
    account = {
        "EmailAccountDescription": address,
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": address,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "IncomingMailServerHostName": imap.hostname,
        "IncomingMailServerPortNumber": imap.port,
        "IncomingMailServerUseSSL": True,
        "IncomingMailServerUsername": address,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerHostName": smtp.hostname,
        "OutgoingMailServerPortNumber": smtp.port,
        "OutgoingMailServerUseSSL": True,
        "OutgoingMailServerUsername": address,
        "OutgoingPasswordSameAsIncomingPassword": True,
        "PayloadDisplayName": f"Mail account {address}",
        "PayloadIdentifier": f"{profile_id}.account",
        "PayloadType": "com.apple.mail.managed",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{profile_id}.account")).upper(),
        "PayloadVersion": 1,
    }
    return plistlib.dumps({
        "PayloadContent": [account],
        "PayloadDisplayName": f"Mail {address}",
        "PayloadIdentifier": profile_id,
        "PayloadRemovalDisallowed": False,
        "PayloadType": "Configuration",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, profile_id)).upper(),
        "PayloadVersion": 1,
    })
