"""The canonical form of domains and addresses (domains/addresses.py). No database needed."""
import pytest
from django.core.exceptions import ValidationError

from domains.addresses import (
    display_domain,
    domain_of,
    is_catch_all,
    normalize_address,
    normalize_alias_source,
    normalize_domain,
    normalize_local_part,
    normalize_mailbox_address,
    split_address,
)

LABEL_63 = "a" * 63
DOMAIN_253 = f"{LABEL_63}.{LABEL_63}.{LABEL_63}.{'b' * 61}"  # 63*3 + 61 + 3 dots
DOMAIN_254 = f"{LABEL_63}.{LABEL_63}.{LABEL_63}.{'b' * 62}"
DOMAIN_189 = f"{LABEL_63}.{LABEL_63}.{'b' * 61}"
DOMAIN_190 = f"{LABEL_63}.{LABEL_63}.{'b' * 62}"
ADDRESS_254 = f"{'x' * 64}@{DOMAIN_189}"
ADDRESS_255 = f"{'x' * 64}@{DOMAIN_190}"
ADDRESS_FUNCTIONS = [normalize_address, normalize_mailbox_address, normalize_alias_source]


def assert_refused(func, value, code, **kwargs):
    with pytest.raises(ValidationError) as info:
        func(value, **kwargs)
    error = info.value
    assert error.code == code
    assert error.messages
    for message in error.messages:
        assert message.strip()
        assert "%(" not in message  # every placeholder was filled in
    return error


def test_length_fixtures_are_what_they_claim():
    assert (len(DOMAIN_253), len(DOMAIN_254), len(ADDRESS_254), len(ADDRESS_255)) == (253, 254, 254, 255)


# --- domains -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Example.ORG", "example.org"),
        ("example.org.", "example.org"),
        ("mail.sub-domain.example", "mail.sub-domain.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.Example.", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        (f"{LABEL_63}.example", f"{LABEL_63}.example"),
        (DOMAIN_253, DOMAIN_253),
    ],
)
def test_domain_accepted_in_canonical_form(raw, canonical):
    assert normalize_domain(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "domain_empty"),
        (".", "domain_empty"),
        ("localhost", "domain_single_label"),
        ("bücher", "domain_single_label"),
        ("xn--zz.example", "domain_invalid_alabel"),
        ("xn---bbk.example", "domain_invalid_alabel"),
        (f"{'a' * 64}.example", "domain_label_too_long"),
        (DOMAIN_254, "domain_too_long"),
        ("example..org", "domain_label_empty"),
        ("example.org..", "domain_label_empty"),
        (".example.org", "domain_label_empty"),
        ("-a.example", "domain_label_hyphen"),
        ("a-.example", "domain_label_hyphen"),
        ("ab--cd.example", "domain_label_hyphen"),
        ("exa_mple.org", "domain_invalid_character"),
        ("exa,mple.org", "domain_invalid_character"),
        ("bü,cher.example", "domain_invalid_character"),
        ("a@example.org", "domain_invalid_character"),
        ("a\u2488example", "domain_idna"),  # "⒈" would otherwise map to "1."
        ("1.2.3.4", "domain_numeric_tld"),
        (" example.org", "whitespace"),
        ("example.org ", "whitespace"),
        ("example.org\n", "whitespace"),
        ("exa mple.org", "whitespace"),
        ("ex\u200bample.org", "control_character"),  # UTS 46 would silently drop it
        ("ex\u200bample.bücher", "control_character"),
        ("example.org\x00", "control_character"),
        (None, "invalid_type"),
    ],
)
def test_domain_refused(raw, code):
    assert_refused(normalize_domain, raw, code)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("xn--bcher-kva.example", "bücher.example"),
        ("example.org", "example.org"),
        ("xn--zz.example", "xn--zz.example"),  # undecodable: shown as stored
    ],
)
def test_display_domain(stored, shown):
    assert display_domain(stored) == shown


def test_idn_round_trip():
    assert normalize_domain(display_domain("xn--bcher-kva.example")) == "xn--bcher-kva.example"


# --- addresses: rules shared by mailboxes, alias sources and destinations --------------------------------


@pytest.mark.parametrize("func", ADDRESS_FUNCTIONS)
@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("User@Example.ORG", "user@example.org"),
        ("user@example.org.", "user@example.org"),
        ("first.last@bücher.example", "first.last@xn--bcher-kva.example"),
        ("a_b-c@x.org", "a_b-c@x.org"),
        (f"{'x' * 64}@x.org", f"{'x' * 64}@x.org"),
        (ADDRESS_254, ADDRESS_254),
    ],
)
def test_address_accepted(func, raw, canonical):
    assert func(raw) == canonical


@pytest.mark.parametrize("func", ADDRESS_FUNCTIONS)
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("a\r@x.org", "whitespace"),
        ("a\n@x.org", "whitespace"),
        ("a\t@x.org", "whitespace"),
        ("a b@x.org", "whitespace"),
        (" a@x.org", "whitespace"),
        ("a@x.org ", "whitespace"),
        ("a\u00a0b@x.org", "whitespace"),
        ("a\u2028b@x.org", "whitespace"),
        ("a@x.org\r\nBcc: b@y.org", "whitespace"),
        ("a\x00@x.org", "control_character"),
        ("a\x7f@x.org", "control_character"),
        ("a\u200b@x.org", "control_character"),
        ("a\ufeff@x.org", "control_character"),
        ("a\ud800@x.org", "control_character"),
        ("a,b@x.org", "forbidden_character"),
        ("a@x.org,b@y.org", "forbidden_character"),
        ("a;b@x.org", "forbidden_character"),
        ("a:b@x.org", "forbidden_character"),
        ("<a@x.org>", "forbidden_character"),
        ("a>@x.org", "forbidden_character"),
        ("<img src=x onerror=alert(1)>@x.org", "forbidden_character"),
        ("a(b)@x.org", "forbidden_character"),
        ("[a]@x.org", "forbidden_character"),
        ('"a b"@x.org', "forbidden_character"),
        ("a\\b@x.org", "forbidden_character"),
        ("a`b@x.org", "forbidden_character"),
        ("a%b@x.org", "forbidden_character"),
        ("a!b@x.org", "forbidden_character"),
        ("a@b@x.org", "address_at"),
        ("nobody", "address_at"),
        ("", "address_at"),
        ("a@@x.org", "address_at"),
        (".a@x.org", "local_part_dots"),
        ("a.@x.org", "local_part_dots"),
        ("a..b@x.org", "local_part_dots"),
        (f"{'x' * 65}@x.org", "local_part_too_long"),
        (ADDRESS_255, "address_too_long"),
        ("a@", "domain_empty"),
        ("a@localhost", "domain_single_label"),
        ("a@xn--zz.example", "domain_invalid_alabel"),
        ("a@exa_mple.org", "domain_invalid_character"),
        (None, "invalid_type"),
    ],
)
def test_address_refused(func, raw, code):
    assert_refused(func, raw, code)


@pytest.mark.parametrize("func", [normalize_address, normalize_mailbox_address])
def test_empty_local_part_refused_for_mailboxes_and_destinations(func):
    assert_refused(func, "@x.org", "local_part_empty")


def test_messages_name_the_offending_character():
    assert "U+200B" in assert_refused(normalize_address, "a\u200b@x.org", "control_character").messages[0]
    assert "','" in assert_refused(normalize_address, "a,b@x.org", "forbidden_character").messages[0]
    assert "65" in assert_refused(normalize_address, f"{'x' * 65}@x.org", "local_part_too_long").messages[0]


def test_split_address():
    assert split_address("User@Bücher.Example") == ("user", "xn--bcher-kva.example")
    assert_refused(split_address, "a@b@x.org", "address_at")
    assert_refused(split_address, "nobody", "address_at")


# --- mailboxes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("josé@x.org", "mailbox_non_ascii"),
        ("JOSÉ@x.org", "mailbox_non_ascii"),
        ("a+b@x.org", "mailbox_plus"),
        ("o'brien@x.org", "mailbox_invalid_character"),
        ("a&b@x.org", "mailbox_invalid_character"),
        ("a/b@x.org", "mailbox_invalid_character"),
    ],
)
def test_mailbox_stricter_than_alias(raw, code):
    assert_refused(normalize_mailbox_address, raw, code)
    assert normalize_alias_source(raw) == raw.lower()
    assert normalize_address(raw) == raw.lower()


# --- alias sources and destinations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("josé@x.org", "josé@x.org"),
        ("JOSÉ@X.org", "josé@x.org"),
        ("@x.org", "@x.org"),
        ("@Bücher.Example.", "@xn--bcher-kva.example"),
        (f"{'é' * 32}@x.org", f"{'é' * 32}@x.org"),  # 64 octets
    ],
)
def test_alias_source_accepted(raw, canonical):
    assert normalize_alias_source(raw) == canonical


def test_non_ascii_alias_source_stays_distinct():
    assert normalize_alias_source("josé@x.org") != normalize_alias_source("jose@x.org")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("@", "domain_empty"),
        ("@localhost", "domain_single_label"),
        (f"{'é' * 33}@x.org", "local_part_too_long"),  # 33 characters, 66 octets
        ("@ x.org", "whitespace"),
        ("@x,org", "domain_invalid_character"),
    ],
)
def test_alias_source_refused(raw, code):
    assert_refused(normalize_alias_source, raw, code)


def test_alias_destination_is_one_full_address():
    assert normalize_address("José@Gmail.com") == "josé@gmail.com"
    assert_refused(normalize_address, "@x.org", "local_part_empty")
    assert_refused(normalize_address, "a@x.org,b@y.org", "forbidden_character")
    assert_refused(normalize_address, "a@x.org b@y.org", "whitespace")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("@x.org", True), ("a@x.org", False), ("@@x.org", False), ("x.org", False), ("", False), (None, False)],
)
def test_is_catch_all(value, expected):
    assert is_catch_all(value) is expected


def test_domain_of():
    assert domain_of("@X.org") == "x.org"
    assert domain_of("a@Bücher.example") == "xn--bcher-kva.example"
    assert_refused(domain_of, "x.org", "address_at")


# --- local parts entered separately from the domain ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "mailbox", "canonical"),
    [
        ("User.Name", True, "user.name"),
        ("José", False, "josé"),
        ("a+b", False, "a+b"),
        ("x" * 64, True, "x" * 64),
    ],
)
def test_local_part_accepted(raw, mailbox, canonical):
    assert normalize_local_part(raw, mailbox=mailbox) == canonical


@pytest.mark.parametrize(
    ("raw", "mailbox", "code"),
    [
        ("", True, "local_part_empty"),
        ("", False, "local_part_empty"),
        ("a@b", False, "local_part_at"),
        ("a b", False, "whitespace"),
        ("a,b", False, "forbidden_character"),
        ("José", True, "mailbox_non_ascii"),
        ("a+b", True, "mailbox_plus"),
        ("a..b", False, "local_part_dots"),
        ("x" * 65, False, "local_part_too_long"),
        ("é" * 33, False, "local_part_too_long"),
    ],
)
def test_local_part_refused(raw, mailbox, code):
    assert_refused(normalize_local_part, raw, code, mailbox=mailbox)


# josé typed two ways: é as one character (NFC) or as e and a combining acute accent (NFD).
JOSE_NFC, JOSE_NFD = "jos\u00e9", "jose\u0301"


@pytest.mark.parametrize("func", [normalize_address, normalize_alias_source])
def test_an_address_typed_decomposed_is_stored_composed(func):
    assert func(f"{JOSE_NFD}@x.org") == func(f"{JOSE_NFC}@x.org") == f"{JOSE_NFC}@x.org"
    assert normalize_local_part(JOSE_NFD.upper(), mailbox=False) == JOSE_NFC


@pytest.mark.django_db(transaction=True)
def test_an_alias_created_twice_with_josé_typed_two_ways_is_one_address():
    from domains import services
    from domains.audit import Actor
    from domains.errors import Conflict
    from domains.models import Alias

    actor = Actor.command("tests")
    domain = services.domain_create(actor=actor, name="example.org")
    services.alias_create(actor=actor, domain=domain, source=f"{JOSE_NFD}@example.org",
                          destinations=[f"{JOSE_NFD}@remote.test", f"{JOSE_NFC}@remote.test"])
    with pytest.raises(Conflict, match="exists already"):
        services.alias_create(actor=actor, domain=domain, source=f"{JOSE_NFC}@example.org",
                              destinations=[f"{JOSE_NFC}@remote.test"])
    assert list(Alias.objects.values_list("source", "destination")) == [
        (f"{JOSE_NFC}@example.org", f"{JOSE_NFC}@remote.test")]


def test_a_whole_non_ascii_address_is_measured_in_utf8_octets():
    local_part = "é" * 32  # 32 characters, 64 octets
    for domain_octets, accepted in ((189, True), (190, False)):
        domain = "a" * 63 + "." + "b" * 63 + "." + "c" * (domain_octets - 63 - 63 - 2 - 8) + ".example"
        address = f"{local_part}@{domain}"
        assert len(address) < 254 and len(address.encode()) == 254 + (not accepted)
        if accepted:
            assert normalize_address(address) == address
        else:
            with pytest.raises(ValidationError) as refused:
                normalize_address(address)
            assert refused.value.code == "address_too_long"
