"""The shapes of the webhook operations (api/webhook_views.py)."""
from rest_framework import serializers

from webhooks.events import EVENT_TYPES

# http(s), a host name or an IPv6 literal, an optional port, then printable ASCII: no user name or
# password (no `@` before the path), no spaces.
URL_PATTERN = r"^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?([/?#][!-~]*)?$"


class WebhookCreateIn(serializers.Serializer):
    url = serializers.RegexField(URL_PATTERN, max_length=2000, help_text=(
        "Where the deliveries are POSTed: http:// or https://, no user name or password in it. The worker connects "
        "from the server itself; redirects are not followed."))
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1,
                                        max_length=len(EVENT_TYPES))
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    active = serializers.BooleanField(required=False, default=True, help_text="false: nothing is sent to it")


class WebhookOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES))
    description = serializers.CharField()
    active = serializers.BooleanField()
    created = serializers.DateTimeField()


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(help_text="signs every delivery (header Mailadmin-Signature); shown only here")


class AttemptOut(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="the receiver's answer; null if none came")
    error = serializers.CharField(help_text="why no answer came (timeout, refused connection); empty otherwise")
    duration_ms = serializers.IntegerField()


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.UUIDField(help_text="the event's `id`, the same in every attempt")
    event_type = serializers.ChoiceField(choices=EVENT_TYPES)
    domain = serializers.CharField(source="domain_name")
    created = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=["pending", "delivered", "failed"])
    next_attempt = serializers.SerializerMethodField(help_text="when it is tried again; null unless pending")
    attempts = AttemptOut(source="attempt_rows", many=True)

    def get_next_attempt(self, delivery) -> str | None:
        return serializers.DateTimeField().to_representation(delivery.next_attempt) \
            if delivery.state == "pending" else None
