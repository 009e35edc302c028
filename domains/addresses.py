"""The one canonical form of domain names and e-mail addresses, and their validation.

Everything stored in virtual_domains, virtual_users and virtual_aliases goes through here.
All functions return the canonical string or raise ValidationError (each with a ``code``).

Domain names
    Lower-case ASCII.  IDN domains are stored as their A-labels (``xn--...``), computed with
    the ``idna`` package (IDNA 2008 with UTS #46 mapping, so ``BÜCHER.example`` becomes
    ``xn--bcher-kva.example``); a valid A-label input is kept (lower-cased).  A single
    trailing dot is dropped.  At least two labels, each 1..63 octets of letters, digits and
    hyphens, not starting or ending with a hyphen, no ``--`` in positions 3-4 except in
    ``xn--`` labels, top-level label not all digits, at most 253 octets in all.
    ``display_domain`` gives the Unicode form for display.

Addresses (``local@domain``)
    The local part is kept as typed but lower-cased (``str.lower()``) and in Unicode NFC, so
    that ``é`` typed as one character or as ``e`` and a combining accent is one address; the
    domain is canonicalised as above.  Local part at most 64 octets, whole address at most 254 (UTF-8).
    Refused everywhere: whitespace, control and invisible characters (Unicode C* and Z*,
    checked before UTS #46 mapping, which would silently drop e.g. U+200B), a second ``@``,
    the characters ``, ; : < > ( ) [ ] " \\ ` % !`` (address lists, quoted local parts,
    Postfix's %/! routing), an empty local part, a leading or trailing dot, two dots in a row.
    Mailboxes (Dovecot logins) allow only ``[a-z0-9._-]`` in the local part: no ``+``
    (Postfix's recipient delimiter), no non-ASCII.
    Alias sources are an address or a catch-all ``@domain``; alias destinations are one address.

Nothing is stripped silently: surrounding whitespace is an error here (forms may strip it).
"""
import re
import unicodedata

import idna
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_DOMAIN_OCTETS = 253
MAX_LABEL_OCTETS = 63
MAX_LOCAL_OCTETS = 64
MAX_ADDRESS_OCTETS = 254
FORBIDDEN_CHARACTERS = ',;:<>()[]"\\`%!'

_LDH_LABEL = re.compile(r"[a-z0-9-]+")
_MAILBOX_LOCAL = re.compile(r"[a-z0-9._-]+")


def _error(code, message, **params):
    return ValidationError(message, code=code, params=params)


def _describe(ch):
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".rstrip()


def _check_characters(text, what, forbidden=""):
    if not isinstance(text, str):
        raise _error("invalid_type", _("The %(what)s must be text."), what=what)
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category.startswith("Z"):
            message, code = _("The %(what)s must not contain whitespace (found %(char)s)."), "whitespace"
        elif category.startswith("C"):
            message = _("The %(what)s must not contain control or invisible characters (found %(char)s).")
            code = "control_character"
        elif ch in forbidden:
            message, code = _("The %(what)s must not contain the character %(char)s."), "forbidden_character"
        else:
            continue
        raise _error(code, message, what=what, char=_describe(ch))


def _too_long(code, what, octets, limit):
    return _error(
        code, _("The %(what)s is %(length)d octets long; at most %(max)d are allowed."),
        what=what, length=octets, max=limit,
    )


def normalize_domain(name: str) -> str:
    _check_characters(name, _("domain name"))
    name = name.removesuffix(".")
    if not name:
        raise _error("domain_empty", _("The domain name is empty."))
    for ch in name:
        if ch.isascii() and not (ch.isalnum() or ch in ".-"):
            raise _error(
                "domain_invalid_character",
                _("A domain name may only contain letters, digits, hyphens and dots (found %(char)s)."),
                char=_describe(ch),
            )
    if name.isascii():
        name = name.lower()
    else:
        try:
            name = idna.encode(name, uts46=True, std3_rules=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as exc:
            raise _error(
                "domain_idna", _("“%(name)s” is not a valid internationalised domain name: %(reason)s."),
                name=name, reason=exc,
            ) from exc
    labels = name.split(".")
    if len(labels) < 2:
        raise _error("domain_single_label", _("A domain name needs at least two labels, as in example.org."))
    for label in labels:
        _check_label(label)
    if labels[-1].isdigit():
        raise _error("domain_numeric_tld", _("The last label of a domain name cannot be all digits."))
    if len(name) > MAX_DOMAIN_OCTETS:
        raise _too_long("domain_too_long", _("domain name"), len(name), MAX_DOMAIN_OCTETS)
    return name


def _check_label(label):
    if not label:
        raise _error("domain_label_empty", _("The domain name has an empty label (two dots in a row?)."))
    if len(label) > MAX_LABEL_OCTETS:
        what = _("label “%(label)s”") % {"label": label}
        raise _too_long("domain_label_too_long", what, len(label), MAX_LABEL_OCTETS)
    if not _LDH_LABEL.fullmatch(label):
        raise _error("domain_invalid_character", _("The label “%(label)s” has invalid characters."), label=label)
    if label.startswith("-") or label.endswith("-") or (label[2:4] == "--" and not label.startswith("xn--")):
        raise _error(
            "domain_label_hyphen",
            _("The label “%(label)s” must not start or end with a hyphen, or have “--” in positions 3 and 4."),
            label=label,
        )
    if label.startswith("xn--"):
        try:
            idna.decode(label)
        except (idna.IDNAError, UnicodeError) as exc:
            raise _error(
                "domain_invalid_alabel", _("The label “%(label)s” is not a valid IDN A-label."), label=label
            ) from exc


def display_domain(name: str) -> str:
    try:
        return idna.decode(name)
    except (idna.IDNAError, UnicodeError, TypeError):
        return name


def normalize_local_part(local_part: str, *, mailbox: bool) -> str:
    _check_characters(local_part, _("local part"), FORBIDDEN_CHARACTERS)
    if not local_part:
        raise _error("local_part_empty", _("The part before the @ is empty."))
    if "@" in local_part:
        raise _error("local_part_at", _("The part before the domain must not contain an @."))
    local_part = unicodedata.normalize("NFC", local_part.lower())
    if local_part.startswith(".") or local_part.endswith(".") or ".." in local_part:
        raise _error(
            "local_part_dots",
            _("The part before the @ must not start or end with a dot, or have two dots in a row."),
        )
    octets = len(local_part.encode("utf-8"))
    if octets > MAX_LOCAL_OCTETS:
        raise _too_long("local_part_too_long", _("part before the @"), octets, MAX_LOCAL_OCTETS)
    if mailbox:
        if not local_part.isascii():
            raise _error("mailbox_non_ascii", _("Mailbox names may only use ASCII characters (no accents)."))
        if "+" in local_part:
            raise _error("mailbox_plus", _("Mailbox names must not contain “+”, the extension separator."))
        if not _MAILBOX_LOCAL.fullmatch(local_part):
            raise _error("mailbox_invalid_character", _("Mailbox names may only use letters, digits, and . - _"))
    return local_part


def split_address(address: str) -> tuple[str, str]:
    _check_characters(address, _("address"), FORBIDDEN_CHARACTERS)
    if address.count("@") != 1:
        raise _error("address_at", _("An address must contain exactly one @, as in name@example.org."))
    local_part, domain = address.split("@")
    local_part, domain = normalize_local_part(local_part, mailbox=False), normalize_domain(domain)
    octets = len(local_part.encode("utf-8")) + 1 + len(domain)
    if octets > MAX_ADDRESS_OCTETS:
        raise _too_long("address_too_long", _("address"), octets, MAX_ADDRESS_OCTETS)
    return local_part, domain


def normalize_address(address: str) -> str:
    return "@".join(split_address(address))


def normalize_mailbox_address(address: str) -> str:
    local_part, domain = split_address(address)
    return f"{normalize_local_part(local_part, mailbox=True)}@{domain}"


def is_catch_all(source: str) -> bool:
    return isinstance(source, str) and source.startswith("@") and source.count("@") == 1


def normalize_alias_source(source: str) -> str:
    if is_catch_all(source):
        return "@" + normalize_domain(source[1:])
    return normalize_address(source)


def domain_of(address_or_catch_all: str) -> str:
    return normalize_alias_source(address_or_catch_all).rpartition("@")[2]
