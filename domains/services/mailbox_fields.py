"""What every mailbox change shares: the audited fields, the password rule, the folder rule."""
import re
import secrets

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from domains import passwords
from domains.addresses import normalize_domain
from domains.errors import LimitReached
from domains.password_policy import validate_new_password

AUDITED = ("email", "quota", "active", "display_name", "spam_threshold")
EDITABLE = frozenset(AUDITED) - {"email"}


def mailbox_password_hash(*, address: str, password: str | None, password_hash: str | None) -> str:
    if (password is None) == (password_hash is None):
        raise ValidationError(_("Give either a password or a password hash."), code="password_required")
    if password_hash is not None:
        try:
            passwords.scheme_of(password_hash)
        except passwords.UnknownSchemeError as error:
            raise ValidationError(_("The password hash has no known {SCHEME} prefix."), code="hash_scheme") from error
        return password_hash
    validate_new_password(password, address=address)
    try:
        return passwords.hash_password(password)
    except passwords.PasswordTooLongError as error:
        raise ValidationError(_("BLF-CRYPT takes at most %(max)d bytes of password."), code="password_too_long",
                              params={"max": passwords.BCRYPT_MAX_BYTES}) from error


def maildir_of_its_own(default: str) -> str:
    """A folder beside the tutorial's <domain>/<local part>, for when that one is still in use."""
    return f"{default}~{secrets.token_hex(4)}"


_FOLDER = re.compile(r"[a-z0-9._~+-]+")


def canonical_folder(maildir: str, *, domain: str) -> str:
    """`maildir` as `<domain>/<folder>`, the one way it is stored: the domain part canonical (as
    addresses are) and equal to the mailbox's `domain`, empty and `.` parts dropped, no `..`."""
    parts = [part for part in maildir.split("/") if part not in ("", ".")]
    if len(parts) == 2 and ".." not in parts and _FOLDER.fullmatch(parts[1]):
        try:
            if normalize_domain(parts[0]) == domain:
                return f"{domain}/{parts[1]}"
        except ValidationError:
            pass
    raise ValidationError(_("maildir must be a folder of the mailbox's domain: <domain>/<folder>."), code="maildir")


def folder_key(path: str) -> str:
    """A folder below the mail root (a maildir, a home or a mail-store job's path, however it was
    written) in the form two names of the same folder share: compare these, never the raw paths."""
    parts = [part for part in path.lower().split("/") if part not in ("", ".")]
    if parts:
        try:
            parts[0] = normalize_domain(parts[0])
        except ValidationError:
            pass
    return "/".join(parts)


def quota_errors(domain, quota: int, *, allocated_to_others: int) -> list[LimitReached]:
    """Within the domain's largest quota per mailbox and its total of all mailbox quotas
    (`allocated_to_others`: the quotas of the domain's other mailboxes, new ones included)."""
    errors = []
    if domain.max_quota and (quota == 0 or quota > domain.max_quota):
        errors.append(LimitReached(_("The quota must be set and at most %(max)d bytes in %(domain)s."),
                                   code="quota_limit", params={"max": domain.max_quota, "domain": domain.name}))
    if domain.quota_total and (quota == 0 or allocated_to_others + quota > domain.quota_total):
        errors.append(LimitReached(
            _("%(domain)s has %(free)d of its %(total)d bytes of quota left; give the mailbox a quota within that."),
            code="quota_total", params={"domain": domain.name, "total": domain.quota_total,
                                        "free": max(0, domain.quota_total - allocated_to_others)}))
    return errors
