"""Creating and revoking API keys: superadmins only (through `manage.py api_key`), with an audit row."""
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.models import ACTIONS, ApiKey
from domains.audit import Actor, record

KEY_PREFIX = "mak_"


def hash_key(plaintext: str) -> str:
    """SHA-256 is right here: the key holds 32 random bytes, so nothing is gained by a slow hash."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _check_superadmin(actor: Actor):
    is_command = actor.user is None and actor.label.startswith("command:")
    if not (is_command or getattr(actor.user, "is_superuser", False)):
        raise PermissionDenied("Only superadmins manage API keys.")


def _audited(key: ApiKey) -> dict:
    return {
        "name": key.name, "prefix": key.prefix, "all_domains": key.all_domains,
        "domains": sorted(key.domains.values_list("name", flat=True)), "read_only": key.read_only,
        "allowed_actions": key.allowed_actions, "expires": key.expires.isoformat() if key.expires else None,
    }


def api_key_create(*, actor: Actor, name: str, all_domains: bool, domains, read_only: bool,
                   allowed_actions, expires) -> tuple[ApiKey, str]:
    """Returns the key and its plaintext, which is never stored and cannot be shown again."""
    _check_superadmin(actor)
    domains, allowed_actions = list(domains), sorted(set(allowed_actions))
    if not name.strip():
        raise ValidationError("Give the key a name.", code="name")
    if all_domains == bool(domains):
        raise ValidationError("A key is for all domains or for a list of domains, exactly one of the two.",
                              code="scope")
    unknown = set(allowed_actions) - set(ACTIONS)
    if unknown:
        raise ValidationError("Unknown actions: %(unknown)s.", code="actions", params={"unknown": sorted(unknown)})
    with transaction.atomic():
        for _attempt in range(5):
            prefix = secrets.token_hex(4)
            plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
            key = ApiKey(name=name.strip(), prefix=prefix, key_hash=hash_key(plaintext), all_domains=all_domains,
                         read_only=read_only, allowed_actions=allowed_actions, expires=expires,
                         created_by=actor.user)
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


def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    """The key stops working with the commit: every request looks it up again."""
    _check_superadmin(actor)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked is None:
            key.revoked = timezone.now()
            key.save(update_fields=["revoked"])
            record(actor, "api_key.revoke", obj=key, domain=None, before=_audited(key))
    return key
