"""domains.passwords against the real Dovecot: hashes go both ways through `doveadm pw`."""
import re
import shutil
import subprocess

import argon2
import bcrypt
import pytest
from django.core.checks import run_checks

from domains.passwords import (
    SCHEMES,
    PasswordTooLongError,
    UnknownSchemeError,
    hash_password,
    needs_rehash,
    scheme_of,
    verify_password,
)

# About hashing: every test here hashes at the cost production writes.
pytestmark = pytest.mark.usefixtures("production_argon2_cost")

PASSWORD = "correct horse battery staple"
NON_ASCII = "pässwörd-日本"
READ_SCHEMES = ("SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT", "ARGON2ID", "ARGON2I", "CRYPT")
ARGON2_DEFAULTS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 1, "hash_len": 32, "salt_len": 16}
WRITTEN_FORMS = {
    "ARGON2ID": r"\{ARGON2ID\}\$argon2id\$v=19\$m=65536,t=3,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}",
    "BLF-CRYPT": r"\{BLF-CRYPT\}\$2y\$10\$[./A-Za-z0-9]{53}",
    "SHA512-CRYPT": r"\{SHA512-CRYPT\}\$6\$[./A-Za-z0-9]{16}\$[./A-Za-z0-9]{86}",
}


def doveadm(*args):
    """Run `doveadm -O pw ...` (-O: no config file, so the system's Dovecot config does not matter)."""
    executable = shutil.which("doveadm") or pytest.fail("doveadm (Dovecot) is not installed")
    command = [executable, "-O", "pw", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def doveadm_hash(scheme, password):
    result = doveadm("-s", scheme, "-p", password)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def doveadm_verifies(stored_hash, password):
    result = doveadm("-t", stored_hash, "-p", password)
    assert (result.returncode == 0) == ("(verified)" in result.stdout), result
    return result.returncode == 0


@pytest.mark.parametrize("scheme", SCHEMES)
def test_written_hash_has_dovecot_form_and_verifies_with_doveadm(scheme):
    stored = hash_password(PASSWORD, scheme)
    assert re.fullmatch(WRITTEN_FORMS[scheme], stored)
    assert stored != hash_password(PASSWORD, scheme)  # salted
    assert verify_password(PASSWORD, stored)
    assert not verify_password(PASSWORD + "x", stored)
    assert doveadm_verifies(stored, PASSWORD)
    assert not doveadm_verifies(stored, PASSWORD + "x")


@pytest.mark.parametrize("scheme", READ_SCHEMES)
@pytest.mark.parametrize("password", [PASSWORD, NON_ASCII])
def test_doveadm_hash_verifies_here(scheme, password):
    stored = doveadm_hash(scheme, password)
    assert stored.startswith(f"{{{scheme}}}$")
    assert scheme_of(stored) == scheme
    assert verify_password(password, stored)
    assert not verify_password(password[:-1], stored)
    assert not verify_password("wrong", stored)


@pytest.mark.parametrize("source", ["BLF-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT"])
def test_crypt_wrapping_doveadm_bodies(source):
    body = doveadm_hash(source, PASSWORD).removeprefix(f"{{{source}}}")
    assert body.startswith(("$2y$", "$5$", "$6$"))
    stored = "{CRYPT}" + body
    assert scheme_of(stored) == "CRYPT"
    assert verify_password(PASSWORD, stored)
    assert not verify_password("wrong", stored)
    assert doveadm_verifies(stored, PASSWORD)


@pytest.mark.parametrize("wrapper", ["BLF-CRYPT", "CRYPT"])
@pytest.mark.parametrize("ident", [b"2b", b"2a"])
def test_python_bcrypt_hashes(wrapper, ident):
    body = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(6, prefix=ident)).decode()
    assert body.startswith(f"${ident.decode()}$")
    stored = f"{{{wrapper}}}{body}"
    assert verify_password(PASSWORD, stored)
    assert not verify_password("wrong", stored)
    assert doveadm_verifies(stored, PASSWORD)
    assert not doveadm_verifies(stored, "wrong")


@pytest.mark.parametrize("stored", [
    "{FOO}abc",
    "plaintext",
    "",
    "{PLAIN}secret",
    "{plain}secret",
    "{CLEAR}secret",
    "{CLEARTEXT}secret",
    "{SHA512-CRYPT.HEX}abc",
    "{ARGON2ID",
    "$6$xX9yiWKRV17cUWVk$NbAFGloNCOV.Ip6ZxleD78EwaEThj38vxEmY8dZafpP40Ws28e/35/5zJ5Ui7/uPptPiDmhK4F/dzxdfPln351",
    "{CRYPT}vpvKh.SaNbR6s",
    "{CRYPT}secret",
    "{CRYPT}",
])
def test_unknown_or_missing_scheme_is_refused(stored):
    with pytest.raises(UnknownSchemeError):
        verify_password("secret", stored)
    with pytest.raises(UnknownSchemeError):
        scheme_of(stored)


@pytest.mark.parametrize("scheme", ["DES-CRYPT", "MD5-CRYPT", "PLAIN-MD5", "SSHA512"])
def test_doveadm_schemes_we_do_not_read(scheme):
    stored = doveadm_hash(scheme, PASSWORD)
    assert doveadm_verifies(stored, PASSWORD)
    with pytest.raises(UnknownSchemeError):
        verify_password(PASSWORD, stored)
    if scheme.endswith("-CRYPT"):  # the same strings as {CRYPT} (libc crypt) are not read either
        with pytest.raises(UnknownSchemeError):
            verify_password(PASSWORD, "{CRYPT}" + stored.split("}", 1)[1])


@pytest.mark.parametrize("scheme", ["FOO", "PLAIN", "ARGON2I", "SHA256-CRYPT", "CRYPT", "MD5"])
def test_hashing_with_an_unwritable_scheme_is_refused(scheme):
    with pytest.raises(UnknownSchemeError):
        hash_password("x", scheme)


@pytest.mark.parametrize("password", ["", "a\x00b"])
def test_empty_or_nul_password_is_refused(password):
    with pytest.raises(ValueError) as raised:
        hash_password(password, "ARGON2ID")
    assert not isinstance(raised.value, UnknownSchemeError)
    assert not verify_password(password, hash_password("a", "SHA512-CRYPT"))


LONG_PASSWORDS = ["p" * 63 + "1", ("long-pässwörd " * 8)[:100], "ä" * 36, NON_ASCII]


@pytest.mark.parametrize("scheme, password", [
    (scheme, password) for scheme in SCHEMES for password in LONG_PASSWORDS
    if scheme != "BLF-CRYPT" or len(password.encode()) <= 72  # longer: test_bcrypt_refuses_...
])
def test_long_and_non_ascii_passwords(scheme, password):
    stored = hash_password(password, scheme)
    assert verify_password(password, stored)
    assert not verify_password(password[:-1], stored)
    assert doveadm_verifies(stored, password)
    assert not doveadm_verifies(stored, password[:-1])


@pytest.mark.parametrize("password", ["a" * 73, "ä" * 36 + "a", "x" * 100])
def test_bcrypt_refuses_more_than_72_bytes(password):
    first_72 = password.encode()[:72].decode()
    assert len(first_72.encode()) == 72
    with pytest.raises(PasswordTooLongError):
        hash_password(password, "BLF-CRYPT")
    for stored in (hash_password(first_72, "BLF-CRYPT"), doveadm_hash("BLF-CRYPT", first_72)):
        assert verify_password(first_72, stored)
        assert not verify_password(password, stored)  # Dovecot would truncate and accept it
        assert not verify_password(password, "{CRYPT}" + stored.split("}", 1)[1])


@pytest.mark.parametrize("stored, scheme", [
    ("{argon2id}$argon2id$v=19$m=65536,t=3,p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43, "ARGON2ID"),
    ("{Blf-Crypt}$2y$10$" + "a" * 53, "BLF-CRYPT"),
    ("{crypt}$6$salt$hash", "CRYPT"),
    ("{sha256-crypt}$5$salt$hash", "SHA256-CRYPT"),
])
def test_scheme_of_is_case_insensitive(stored, scheme):
    assert scheme_of(stored) == scheme


@pytest.mark.parametrize("scheme", READ_SCHEMES)
def test_lower_case_prefix_verifies(scheme):
    stored = doveadm_hash(scheme, PASSWORD)
    lowered = "{" + scheme.lower() + stored[len(scheme) + 1:]
    assert verify_password(PASSWORD, lowered)
    assert not verify_password("wrong", lowered)


def test_argon2_variant_must_match_the_prefix():
    argon2i_body = doveadm_hash("ARGON2I", PASSWORD).split("}", 1)[1]
    argon2id_body = hash_password(PASSWORD, "ARGON2ID").split("}", 1)[1]
    assert not verify_password(PASSWORD, "{ARGON2ID}" + argon2i_body)
    assert not verify_password(PASSWORD, "{ARGON2I}" + argon2id_body)


def test_default_scheme_comes_from_settings(settings):
    settings.MAILADMIN_PASSWORD_SCHEME = "SHA512-CRYPT"
    assert scheme_of(hash_password(PASSWORD)) == "SHA512-CRYPT"
    settings.MAILADMIN_PASSWORD_SCHEME = "ARGON2ID"
    assert scheme_of(hash_password(PASSWORD)) == "ARGON2ID"


def test_needs_rehash_with_argon2id_default(settings):
    settings.MAILADMIN_PASSWORD_SCHEME = "ARGON2ID"
    assert not needs_rehash(hash_password(PASSWORD, "ARGON2ID"))
    assert not needs_rehash(doveadm_hash("ARGON2ID", PASSWORD))  # same parameters as Dovecot's
    for parameters in ({"memory_cost": 32768}, {"time_cost": 2}, {"hash_len": 64}):
        weaker = "{ARGON2ID}" + argon2.PasswordHasher(**{**ARGON2_DEFAULTS, **parameters}).hash(PASSWORD)
        assert verify_password(PASSWORD, weaker)
        assert needs_rehash(weaker)
    assert needs_rehash(doveadm_hash("ARGON2I", PASSWORD))
    for scheme in ("BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "CRYPT"):
        assert needs_rehash(doveadm_hash(scheme, PASSWORD))
    with pytest.raises(UnknownSchemeError):
        needs_rehash("{PLAIN}secret")


def test_needs_rehash_with_other_defaults(settings):
    settings.MAILADMIN_PASSWORD_SCHEME = "BLF-CRYPT"
    assert not needs_rehash(hash_password(PASSWORD, "BLF-CRYPT"))
    assert needs_rehash(doveadm_hash("BLF-CRYPT", PASSWORD))  # Dovecot's cost 5 is below ours
    assert needs_rehash(hash_password(PASSWORD, "ARGON2ID"))
    settings.MAILADMIN_PASSWORD_SCHEME = "SHA512-CRYPT"
    assert not needs_rehash(hash_password(PASSWORD, "SHA512-CRYPT"))
    assert not needs_rehash(doveadm_hash("SHA512-CRYPT", PASSWORD))
    assert needs_rehash(hash_password(PASSWORD, "BLF-CRYPT"))


@pytest.mark.parametrize("scheme, error", [
    ("MD5", True), ("PLAIN", True), ("argon2id", True), ("ARGON2I", True),
    ("ARGON2ID", False), ("BLF-CRYPT", False), ("SHA512-CRYPT", False),
])
def test_system_check(settings, scheme, error):
    settings.MAILADMIN_PASSWORD_SCHEME = scheme
    found = [message for message in run_checks() if message.id == "domains.E001"]
    assert bool(found) == error
    if error:
        assert all(name in found[0].hint for name in SCHEMES)


def test_only_the_test_settings_lower_the_hash_costs():
    import mailadmin.settings as production

    assert not hasattr(production, "MAILADMIN_ARGON2_COST") and not hasattr(production, "PASSWORD_HASHERS")
