"""Creating and deleting webhook subscriptions, each with its audit row.  Who may: superadmins (in
the panel or by command) for every domain, and API keys with the action `webhook.manage` for their
own domains.  The URL is one the worker will POST to from the server itself: see the SSRF note in
docs/webhooks.md."""
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from domains.audit import Actor, record
from webhooks.events import EVENT_TYPES
from webhooks.models import Subscription

SECRET_PREFIX = "whsec_"
URL_MAX = 2000


def clean_url(url: str) -> str:
    """An http(s) URL with a host and no user name or password in it."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise ValidationError(_("The URL cannot be read."), code="webhook_url") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("The URL must be an http:// or https:// address with a host."), code="webhook_url")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("The URL must not hold a user name or password; authenticate deliveries by "
                              "their signature."), code="webhook_url_credentials")
    if len(url) > URL_MAX or any(character.isspace() or ord(character) < 32 for character in url):
        raise ValidationError(_("The URL is too long or holds spaces or control characters."), code="webhook_url")
    return url


def _clean_event_types(event_types) -> list[str]:
    cleaned = sorted(set(event_types))
    if not cleaned:
        raise ValidationError(_("Choose at least one event type."), code="webhook_event_types")
    unknown = set(cleaned) - set(EVENT_TYPES)
    if unknown:
        raise ValidationError(_("Unknown event types: %(unknown)s."), code="webhook_event_types",
                              params={"unknown": ", ".join(sorted(unknown))})
    return cleaned


def _check_owner(actor: Actor, api_key, *, creating: bool = False):
    """A key manages its own subscriptions (the API finds only those); a superadmin or a command
    manages any, but creates only their own: a key's subscriptions are made with the key."""
    if actor.via_api:
        if api_key is None:
            raise PermissionDenied("An API key manages only its own webhooks.")
        return
    is_command = actor.user is None and actor.label.startswith("command:")
    if not (is_command or getattr(actor.user, "is_superuser", False)) or (creating and api_key is not None):
        raise PermissionDenied("Only superadmins and API keys register webhooks.")


def _audited(subscription: Subscription) -> dict:
    return {"url": subscription.url, "event_types": subscription.event_types, "active": subscription.active,
            "api_key": subscription.api_key.prefix if subscription.api_key else None}


def subscription_create(*, actor: Actor, url: str, event_types, api_key=None, description: str = "",
                        active: bool = True) -> tuple[Subscription, str]:
    """Returns the subscription and its secret (to be shown once; the worker signs with it).  With
    `api_key`, the key's subscription: it receives the events of the key's domains only."""
    _check_owner(actor, api_key, creating=True)
    subscription = Subscription(url=clean_url(url), event_types=_clean_event_types(event_types),
                                secret=f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}", api_key=api_key,
                                description=description.strip()[:200], active=bool(active), created_by=actor.user)
    with transaction.atomic():
        subscription.save(force_insert=True)
        record(actor, "webhook.create", obj=subscription, domain=None, after=_audited(subscription))
    return subscription, subscription.secret


def subscription_delete(*, actor: Actor, subscription: Subscription) -> None:
    """Deletes the subscription with its deliveries: nothing more is sent to it."""
    _check_owner(actor, subscription.api_key)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        record(actor, "webhook.delete", obj=subscription, domain=None, before=_audited(subscription))
        subscription.delete()


def subscription_set_active(*, actor: Actor, subscription: Subscription, active: bool) -> Subscription:
    """A disabled subscription is sent nothing: no delivery is queued for it, and those queued fail."""
    _check_owner(actor, subscription.api_key)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = _audited(subscription)
        subscription.active = bool(active)
        subscription.save(update_fields=["active"])
        record(actor, "webhook.update", obj=subscription, domain=None, before=before, after=_audited(subscription))
    return subscription
