"""`Authorization: Bearer mak_<prefix>_<secret>`: the key is looked up by its prefix and its hash
compared in constant time.  Unknown, revoked and expired keys get the same 401; too many of
those from one address, and that address gets 429 for a while (api/throttling.py)."""
import hmac
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions

from api.models import ApiKey
from api.services import KEY_PREFIX, hash_key
from api.throttling import FailedAuthentications
from domains.audit import Actor
from mailadmin.client_ip import client_ip

LAST_USED_EVERY = timedelta(minutes=1)
INVALID = "The API key is not valid."


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        failures = FailedAuthentications(request)
        wait = failures.wait_needed()
        if wait is not None:
            raise exceptions.Throttled(wait, detail="Too many failed authentications from this address.")
        key = self._usable_key(header[1]) if len(header) == 2 else None
        if key is None:
            failures.record()
            raise exceptions.AuthenticationFailed(INVALID)
        now = timezone.now()
        if key.last_used is None or now - key.last_used >= LAST_USED_EVERY:
            ApiKey.objects.filter(pk=key.pk).update(last_used=now)
            key.last_used = now
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return self.keyword

    @staticmethod
    def _usable_key(plaintext: str) -> ApiKey | None:
        if not plaintext.startswith(KEY_PREFIX):
            return None
        prefix = plaintext[len(KEY_PREFIX):len(KEY_PREFIX) + 8]
        key = ApiKey.objects.filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.key_hash, hash_key(plaintext)) or not key.is_usable():
            return None
        return key


def actor_for(request) -> Actor:
    """Who the audit log names for a write through the API: the key, by prefix and name."""
    key = request.auth
    return Actor(label=f"api-key:{key.prefix}:{key.name}", user=None, ip=client_ip(request), via_api=True)
