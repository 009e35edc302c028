"""The DNS records a domain must publish for its mail to be delivered and trusted, and a live
check of what DNS answers for each (dnspython, through the resolvers of the settings).

Each record is compared the way the software reading it would: an MX, SRV or CNAME by its
target, an SPF, DMARC or DKIM TXT record by its tags (the one TXT record of its kind at that
name), an address or a PTR by its value.
"""
import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import dns.exception
import dns.resolver
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from domains.models import DkimKey, Domain

TIMEOUT = 3  # seconds per query; the whole check asks a few dozen names side by side at most
FOUND, MISSING, DIFFERENT = "found", "missing", "different"


@dataclass
class Record:
    purpose: str
    name: str
    type: str
    value: str
    optional: bool = False
    status: str = ""  # after a check: found, missing or different
    answers: list[str] = field(default_factory=list)  # what DNS answered (for "different")

    @property
    def zone_value(self) -> str:
        """The value as a zone file writes it: TXT in quoted strings of at most 255 characters."""
        if self.type != "TXT":
            return self.value
        return " ".join(f'"{self.value[start:start + 255]}"' for start in range(0, len(self.value), 255))

    @property
    def zone_line(self) -> str:
        return f"{self.name}. {self.type} {self.zone_value}"

    def as_dict(self) -> dict:
        return {"purpose": self.purpose, "name": self.name, "type": self.type, "value": self.value,
                "optional": self.optional, **({"status": self.status, "answers": self.answers} if self.status else {})}


DKIM_PURPOSES = {
    DkimKey.SIGNING: _("DKIM key (signs new mail)"),
    DkimKey.PENDING: _("DKIM key (new: publish it, then activate it to sign with it)"),
    DkimKey.REPLACED: _("DKIM key (replaced; kept until retired)"),
}


def key_record_status(key: DkimKey) -> str:
    """What DNS answers now for the key's record: found, missing or different."""
    record = Record("", key.record_name, "TXT", key.record_value)
    answers = _lookup(resolver(), record.name, record.type)
    return MISSING if answers is None else _compare(record, answers)


def mail_host() -> str:
    return settings.MAILSTACK["hostname"]


def expected(domain: Domain) -> list[Record]:
    """The records to publish for `domain`, in the order the domain page shows them."""
    host, name = mail_host(), domain.name
    records = [
        Record("mail exchanger", name, "MX", f"10 {host}."),
        Record("SPF: only the MX hosts send for the domain", name, "TXT", "v=spf1 mx -all"),
    ]
    keys = DkimKey.objects.filter(domain=domain, retired=None).order_by("-signing", "-created")
    records += [Record(str(DKIM_PURPOSES[key.state]), key.record_name, "TXT", key.record_value) for key in keys]
    records += [
        Record("DMARC policy", f"_dmarc.{name}", "TXT", f"v=DMARC1; p=quarantine; rua=mailto:postmaster@{name}"),
        Record("TLS reporting (RFC 8460)", f"_smtp._tls.{name}", "TXT", f"v=TLSRPTv1; rua=mailto:postmaster@{name}",
               optional=True),
        Record("mail clients: submission over TLS (RFC 6186)", f"_submissions._tcp.{name}", "SRV", f"0 1 465 {host}."),
        Record("mail clients: IMAP over TLS (RFC 6186)", f"_imaps._tcp.{name}", "SRV", f"0 1 993 {host}."),
        Record("mail clients: POP3 over TLS (RFC 6186)", f"_pop3s._tcp.{name}", "SRV", f"0 1 995 {host}."),
        Record("mail clients: Thunderbird's autoconfig", f"autoconfig.{name}", "CNAME", f"{host}.", optional=True),
        Record("mail clients: Outlook's autodiscover", f"autodiscover.{name}", "CNAME", f"{host}.", optional=True),
    ]
    addresses = settings.MAILADMIN_PUBLIC_ADDRESSES
    for address in addresses:
        version = ipaddress.ip_address(address).version
        records.append(Record("the mail host's address", host, "A" if version == 4 else "AAAA", address))
    for address in addresses:
        records.append(Record("the mail host's address points back to its name",
                              ipaddress.ip_address(address).reverse_pointer, "PTR", f"{host}."))
    return records


def resolver() -> dns.resolver.Resolver:
    chosen = settings.MAILADMIN_DNS_RESOLVERS
    answer = dns.resolver.Resolver(configure=not chosen)
    if chosen:
        answer.nameservers = list(chosen)
        answer.port = settings.MAILADMIN_DNS_RESOLVER_PORT
    answer.timeout = answer.lifetime = TIMEOUT
    answer.cache = None
    return answer


def _lookup(asker, name: str, kind: str) -> list[str] | None:
    """The answers as text (TXT strings joined), [] when the name has none; None when DNS did not answer."""
    try:
        answer = asker.resolve(name, kind, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
        return []
    except dns.exception.DNSException:
        return None
    if kind == "TXT":
        return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]
    return [rdata.to_text().lower() for rdata in answer]


def _tags(text: str) -> dict:
    return {tag.split("=", 1)[0].strip().lower(): "".join(tag.split("=", 1)[1].split())
            for tag in text.split(";") if "=" in tag}


def _txt_kind(text: str) -> str:
    first = text.split(";")[0].split()
    return first[0].lower() if first else ""


def _same_txt(kind: str, expected_text: str, answer: str) -> bool:
    if kind == "v=spf1":
        return answer.lower().split() == expected_text.lower().split()
    wanted, found = _tags(expected_text), _tags(answer)
    if kind == "v=dkim1":  # v= is optional in a key record, k= defaults to rsa
        wanted.pop("v", None), found.pop("v", None)
        found.setdefault("k", "rsa")
    return found == wanted


def _compare(record: Record, answers: list[str]) -> str:
    if record.type == "TXT":
        kind = _txt_kind(record.value)
        candidates = answers if kind == "v=dkim1" else [a for a in answers if _txt_kind(a) == kind]
        if not candidates:
            return MISSING
        return FOUND if any(_same_txt(kind, record.value, a) for a in candidates) else DIFFERENT
    if not answers:
        return MISSING
    wanted = record.value.lower()
    if record.type == "MX":  # our host among the exchangers, at any preference
        return FOUND if any(a.split()[-1] == wanted.split()[-1] for a in answers) else DIFFERENT
    if record.type in ("A", "AAAA"):
        return FOUND if any(ipaddress.ip_address(a) == ipaddress.ip_address(wanted) for a in answers) else DIFFERENT
    return FOUND if wanted in answers else DIFFERENT


def check(domain: Domain) -> list[Record]:
    """The expected records, each with what DNS answers and whether it is found, missing or different.
    Without MAILADMIN_PUBLIC_ADDRESSES, the mail host's addresses are those DNS gives, each checked
    for its PTR record."""
    asker = resolver()
    records = expected(domain)
    if not settings.MAILADMIN_PUBLIC_ADDRESSES:
        host = mail_host()
        for kind in ("A", "AAAA"):
            for address in _lookup(asker, host, kind) or []:
                records.append(Record("the mail host's address", host, kind, address))
                records.append(Record("the mail host's address points back to its name",
                                      ipaddress.ip_address(address).reverse_pointer, "PTR", f"{host}."))
        if not any(record.type in ("A", "AAAA") for record in records):
            records.append(Record("the mail host's address", host, "A", ""))
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda record: _lookup(asker, record.name, record.type), records))
    for record, answers in zip(records, replies, strict=True):
        record.answers = answers or []
        record.status = MISSING if answers is None or not record.value else _compare(record, answers)
    return records
