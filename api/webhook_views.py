"""The webhook operations: a key registers, lists and deletes its own subscriptions and reads their
deliveries.  Registering is the action `webhook.manage` (see the SSRF note in docs/webhooks.md)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from api.authentication import actor_for
from api.pagination import KeyedCursor
from api.views import ApiView, _valid
from api.webhook_serializers import DeliveryOut, WebhookCreatedOut, WebhookCreateIn, WebhookOut
from webhooks import selectors, services

ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="the subscription's `id`")


class NewestFirst(KeyedCursor):
    ordering = "-id"


class WebhookList(ApiView):
    actions = {"POST": "webhook.manage"}
    pagination_class = NewestFirst
    serializer_class = WebhookOut

    @extend_schema(responses={200: WebhookOut(many=True)})
    def get(self, request):
        return self.paginated(selectors.subscriptions_of_key(request.auth), WebhookOut)

    @extend_schema(request=WebhookCreateIn, responses={201: WebhookCreatedOut})
    def post(self, request):
        data = _valid(WebhookCreateIn, request.data)
        subscription, _secret = services.subscription_create(actor=actor_for(request), api_key=request.auth, **data)
        return Response(WebhookCreatedOut(subscription).data, status=status.HTTP_201_CREATED,
                        headers={"Location": f"/api/v1/webhooks/{subscription.pk}/"})


class WebhookDetail(ApiView):
    actions = {"DELETE": "webhook.manage"}
    serializer_class = WebhookOut

    @extend_schema(parameters=[ID], responses={200: WebhookOut})
    def get(self, request, id):  # noqa: A002 - the schema's name for it
        return Response(WebhookOut(selectors.subscription_of_key(request.auth, id)).data)

    @extend_schema(parameters=[ID], responses={204: None})
    def delete(self, request, id):  # noqa: A002
        subscription = selectors.subscription_of_key(request.auth, id)
        services.subscription_delete(actor=actor_for(request), subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveries(ApiView):
    """The subscription's deliveries, newest first, each with its attempts."""

    pagination_class = NewestFirst
    serializer_class = DeliveryOut

    @extend_schema(parameters=[ID], responses={200: DeliveryOut(many=True)})
    def get(self, request, id):  # noqa: A002
        subscription = selectors.subscription_of_key(request.auth, id)
        return self.paginated(selectors.deliveries_of(subscription), DeliveryOut)
