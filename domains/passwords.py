"""Dovecot password schemes: write `{SCHEME}hash` strings, verify what ISPmail databases hold.

Written (SCHEMES): ARGON2ID (the default), BLF-CRYPT, SHA512-CRYPT.  Also read: SHA256-CRYPT,
ARGON2I, and {CRYPT} holding a bcrypt ($2a$, $2b$, $2y$) or SHA-crypt ($5$, $6$) string.  Any
other scheme, {CRYPT} form (DES, MD5, yescrypt) or a hash without a `{SCHEME}` prefix raises
UnknownSchemeError: nothing is ever taken as clear text.  Prefixes are case-insensitive, as in
Dovecot.  Verification is done by the libraries (argon2-cffi, bcrypt, passlib) in constant time.

Argon2id: m=65536 KiB (64 MiB), t=3, p=1, 32-byte hash, 16-byte salt: exactly what Dovecot
2.3.19's own `doveadm pw -s ARGON2ID` writes (libsodium; its ARGON2I writes m=32768, t=4, p=1).
Dovecot verifies a password synchronously in one process (the auth process, or an auth-worker
serving one request at a time), so each process holds at most one m-sized buffer, and each
process's address space is capped by its vsz_limit; for auth and auth-worker that defaults to
default_vsz_limit = 256M.  64 MiB leaves room for the process itself: under `ulimit -v 256M`,
doveadm verifies m=64 and 128 MiB but fails at m=256 MiB.  A larger m would need
`service auth { vsz_limit }` raised with it, or logins fail.  The test settings alone lower t and m
(MAILADMIN_ARGON2_COST) for the tests that are not about hashing; Dovecot verifies any cost.

BLF-CRYPT is written as $2y$ (as Dovecot writes it; the same algorithm as $2b$) at cost 10.
bcrypt reads only 72 bytes (Dovecot silently truncates): longer passwords are refused when
hashing and never match when verifying.  SHA512-CRYPT uses the implicit 5000 rounds
(`$6$salt$hash`), as Dovecot writes it.
"""
import re

import bcrypt
from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError
from passlib.hash import sha256_crypt, sha512_crypt

SCHEMES = ("ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT")
DEFAULT_SCHEME = "ARGON2ID"
BCRYPT_COST = 10
BCRYPT_MAX_BYTES = 72
ARGON2_COST = {"time_cost": 3, "memory_cost": 65536}
_PREFIX = re.compile(r"\{([A-Za-z0-9._-]{1,40})\}")


class UnknownSchemeError(ValueError):
    """The hash has no `{SCHEME}` prefix, or one (or a {CRYPT} form) that we do not handle."""


class PasswordTooLongError(ValueError):
    """The password is longer than the scheme can hash without truncating it."""


class Argon2:
    def __init__(self, type_: Type, ident: str):
        self.type, self.ident = type_, ident

    @property
    def hasher(self) -> PasswordHasher:
        return PasswordHasher(**_setting("MAILADMIN_ARGON2_COST", ARGON2_COST), parallelism=1, hash_len=32,
                              salt_len=16, type=self.type)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password: str, body: str) -> bool:
        if not body.startswith(self.ident):  # argon2-cffi itself would accept any variant
            return False
        try:
            return self.hasher.verify(body, password)
        except (VerificationError, ValueError):
            return False

    def outdated(self, body: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(body)
        except ValueError:
            return True


class Bcrypt:
    idents = ("$2a$", "$2b$", "$2y$")

    def hash(self, password: str) -> str:
        secret = password.encode()
        if len(secret) > BCRYPT_MAX_BYTES:
            raise PasswordTooLongError(f"BLF-CRYPT takes at most {BCRYPT_MAX_BYTES} bytes of password")
        return "$2y$" + bcrypt.hashpw(secret, bcrypt.gensalt(BCRYPT_COST)).decode()[4:]

    def verify(self, password: str, body: str) -> bool:
        secret = password.encode()
        if len(secret) > BCRYPT_MAX_BYTES or not body.startswith(self.idents):
            return False
        try:
            return bcrypt.checkpw(secret, body.encode("ascii"))
        except ValueError:
            return False

    def outdated(self, body: str) -> bool:
        return not body[4:6].isdigit() or int(body[4:6]) < BCRYPT_COST


class ShaCrypt:
    def __init__(self, handler, ident: str):
        self.handler, self.ident = handler, ident

    def hash(self, password: str) -> str:
        return self.handler.using(rounds=5000).hash(password)

    def verify(self, password: str, body: str) -> bool:
        if not body.startswith(self.ident):
            return False
        try:
            return self.handler.verify(password, body)
        except ValueError:
            return False


_BCRYPT = Bcrypt()
_SHA256, _SHA512 = ShaCrypt(sha256_crypt, "$5$"), ShaCrypt(sha512_crypt, "$6$")
REGISTRY = {
    "ARGON2ID": Argon2(Type.ID, "$argon2id$"),
    "ARGON2I": Argon2(Type.I, "$argon2i$"),
    "BLF-CRYPT": _BCRYPT,
    "SHA256-CRYPT": _SHA256,
    "SHA512-CRYPT": _SHA512,
}
# {CRYPT} is libc crypt(): the handler is chosen by the `$id$` its content starts with.
CRYPT_FORMS = {"$2a$": _BCRYPT, "$2b$": _BCRYPT, "$2y$": _BCRYPT, "$5$": _SHA256, "$6$": _SHA512}


def _parse(stored_hash: str):
    """Return (scheme name, handler, body) of a stored hash, or raise UnknownSchemeError."""
    match = _PREFIX.match(stored_hash or "")
    if not match:
        raise UnknownSchemeError("the hash has no {SCHEME} prefix")
    name, body = match.group(1).upper(), stored_hash[match.end():]
    if name == "CRYPT":
        handler = CRYPT_FORMS.get(body[:4]) or CRYPT_FORMS.get(body[:3])
        if handler is None:
            raise UnknownSchemeError("unsupported {CRYPT} form (only bcrypt, $5$ and $6$ are read)")
    elif name in REGISTRY:
        handler = REGISTRY[name]
    else:
        raise UnknownSchemeError(f"unknown password scheme {{{name}}}")
    return name, handler, body


def _setting(name: str, default):
    """The Django setting, or `default` when it is unset or Django settings are not configured."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return getattr(settings, name, default)
    except ImproperlyConfigured:
        return default


def default_scheme() -> str:
    """settings.MAILADMIN_PASSWORD_SCHEME, or ARGON2ID when Django settings are not configured."""
    return _setting("MAILADMIN_PASSWORD_SCHEME", DEFAULT_SCHEME)


def hash_password(password: str, scheme: str | None = None) -> str:
    name = str(scheme or default_scheme()).upper()
    if name not in SCHEMES:
        raise UnknownSchemeError(f"cannot write password scheme {name!r}; use one of {', '.join(SCHEMES)}")
    if not password:
        raise ValueError("the password is empty")
    if "\x00" in password:
        raise ValueError("the password contains a NUL character")
    return f"{{{name}}}{REGISTRY[name].hash(password)}"


def verify_password(password: str, stored_hash: str) -> bool:
    """Whether password matches; an empty password or one with a NUL character never does."""
    _, handler, body = _parse(stored_hash)
    if not password or "\x00" in password:
        return False
    return handler.verify(password, body)


def scheme_of(stored_hash: str) -> str:
    """The upper-cased scheme name; raises UnknownSchemeError where verify_password would."""
    return _parse(stored_hash)[0]


def needs_rehash(stored_hash: str) -> bool:
    """True if the hash is not in the configured scheme, or in it with weaker parameters."""
    name, handler, body = _parse(stored_hash)
    if name != default_scheme().upper():
        return True
    outdated = getattr(handler, "outdated", None)
    return bool(outdated and outdated(body))
