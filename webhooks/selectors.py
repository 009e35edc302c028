"""The subscriptions a caller sees: an API key its own, a superadmin all of them."""
from django.http import Http404

from webhooks.models import Delivery, Subscription


def subscriptions_of_key(key):
    return Subscription.objects.filter(api_key=key)


def subscription_of_key(key, subscription_id: str) -> Subscription:
    """The key's subscription by id (as the path gives it); another key's, or none, is 404."""
    if not subscription_id.isascii() or not subscription_id.isdigit() or len(subscription_id) > 18:
        raise Http404
    subscription = subscriptions_of_key(key).filter(pk=int(subscription_id)).first()
    if subscription is None:
        raise Http404
    return subscription


def deliveries_of(subscription: Subscription):
    """Newest first, each with its attempts."""
    return Delivery.objects.filter(subscription=subscription).prefetch_related("attempt_rows")
