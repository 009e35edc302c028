"""Creating and revoking API keys, with an audit row: superadmins (panel, `manage.py api_key`), and
keys allowed `api_key.manage`, which make narrower keys of their own (`parent`): within the
parent's domains, actions, access and expiry, revoked with it."""
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ACTIONS, NAMED_ONLY, ApiKey
from domains.audit import Actor, record

KEY_PREFIX = "mak_"


def hash_key(plaintext: str) -> str:
    """SHA-256 is right here: the key holds 32 random bytes, so nothing is gained by a slow hash."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _check_superadmin(actor: Actor):
    is_command = actor.user is None and actor.label.startswith("command:")
    if not (is_command or getattr(actor.user, "is_superuser", False)):
        raise PermissionDenied(_("Only superadmins manage API keys."))


def _audited(key: ApiKey) -> dict:
    return {
        "name": key.name, "prefix": key.prefix, "all_domains": key.all_domains,
        "domains": sorted(key.domains.values_list("name", flat=True)), "read_only": key.read_only,
        "allowed_actions": key.allowed_actions, "expires": key.expires.isoformat() if key.expires else None,
    }


def _check_within(parent: ApiKey, *, all_domains: bool, domains, read_only: bool, allowed_actions: list[str],
                  expires):
    """A key made by a key reaches nothing its parent does not: ValidationError (code `wider`) naming what."""
    wider = []
    reached = set(parent.domains.values_list("pk", flat=True))
    if not parent.all_domains and (all_domains or {domain.pk for domain in domains} - reached):
        wider.append("domains")
    if parent.read_only and not read_only:
        wider.append("write access")
    if set(allowed_actions or set(ACTIONS) - NAMED_ONLY) - parent.actions():
        wider.append("actions")
    if parent.expires and (expires is None or expires > parent.expires):
        wider.append("expiry")
    if wider:
        raise ValidationError(_("A key cannot make a key wider than itself (%(what)s)."), code="wider",
                              params={"what": ", ".join(wider)})


def api_key_create(*, actor: Actor, name: str, all_domains: bool, domains, read_only: bool,
                   allowed_actions, expires, parent: ApiKey | None = None) -> tuple[ApiKey, str]:
    """Returns the key and its plaintext, which is never stored and cannot be shown again."""
    if parent is None:
        _check_superadmin(actor)
    domains, allowed_actions = list(domains), sorted(set(allowed_actions))
    if not name.strip():
        raise ValidationError(_("Give the key a name."), code="name")
    if all_domains == bool(domains):
        raise ValidationError(_("A key is for all domains or for a list of domains, exactly one of the two."),
                              code="scope")
    unknown = set(allowed_actions) - set(ACTIONS)
    if unknown:
        raise ValidationError(_("Unknown actions: %(unknown)s."), code="actions", params={"unknown": sorted(unknown)})
    if parent is not None:
        _check_within(parent, all_domains=all_domains, domains=domains, read_only=read_only,
                      allowed_actions=allowed_actions, expires=expires)
    with transaction.atomic():
        for _attempt in range(5):
            prefix = secrets.token_hex(4)
            plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
            key = ApiKey(name=name.strip(), prefix=prefix, key_hash=hash_key(plaintext), all_domains=all_domains,
                         read_only=read_only, allowed_actions=allowed_actions, expires=expires,
                         created_by=actor.user, parent=parent)
            try:
                with transaction.atomic():
                    key.save(force_insert=True)
                break
            except IntegrityError:  # the 8-character prefix is taken: draw another
                continue
        else:
            raise RuntimeError("no free API key prefix")
        key.domains.set(domains)
        record(actor, "api_key.create", obj=key, domain=None, after=_audited(key))
    return key, plaintext


def api_key_revoke(*, actor: Actor, key: ApiKey, by_key: ApiKey | None = None) -> ApiKey:
    """The key, and every key made from it, stop working with the commit: every request looks its
    key up again.  `by_key`: the key revoking one it made (otherwise a superadmin)."""
    if by_key is None:
        _check_superadmin(actor)
    elif key.parent_id != by_key.pk:
        raise PermissionDenied(_("A key revokes only the keys it made."))
    with transaction.atomic():
        pending, now = [key.pk], timezone.now()
        while pending:
            for each in ApiKey.objects.select_for_update().filter(pk__in=pending).order_by("pk"):
                if each.revoked is None:
                    each.revoked = now
                    each.save(update_fields=["revoked"])
                    record(actor, "api_key.revoke", obj=each, domain=None, before=_audited(each))
            pending = list(ApiKey.objects.filter(parent_id__in=pending).values_list("pk", flat=True))
        key.refresh_from_db()
    return key
