"""The panel's webhook pages: superadmins only (404 to everyone else), through webhooks.services.
They list every subscription (the API keys' too) with its recent deliveries and their attempts."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mailadmin.forms import ConfirmForm
from mailadmin.view_helpers import actor_of, call_service, page_of, posted, require_superadmin
from webhooks import services
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, Subscription

RECENT = 10  # deliveries shown per subscription


@login_required
def subscription_list(request):
    require_superadmin(request.user)
    page = page_of(request, Subscription.objects.select_related("api_key", "created_by"))
    for subscription in page.object_list:
        subscription.recent = list(Delivery.objects.filter(subscription=subscription).prefetch_related(
            Prefetch("attempt_rows"))[:RECENT])
    return render(request, "webhooks/subscription_list.html", {"page": page})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def subscription_create(request):
    require_superadmin(request.user)
    form = SubscriptionForm(posted(request), initial={"active": True})
    if request.method == "POST" and form.is_valid():
        created = call_service(form, services.subscription_create, actor=actor_of(request), **form.cleaned_data)
        if created:
            subscription, secret = created
            return render(request, "webhooks/subscription_created.html",
                          {"subscription": subscription, "secret": secret})
    return render(request, "form.html", {"form": form, "title": _("New webhook"), "submit": _("Create")})


@login_required
@require_POST
def subscription_set_active(request, pk):
    require_superadmin(request.user)
    subscription = get_object_or_404(Subscription, pk=pk)
    services.subscription_set_active(actor=actor_of(request), subscription=subscription,
                                     active=not subscription.active)
    return redirect("webhook_list")


@login_required
@require_http_methods(["GET", "POST"])
def subscription_delete(request, pk):
    require_superadmin(request.user)
    subscription = get_object_or_404(Subscription, pk=pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.subscription_delete(actor=actor_of(request), subscription=subscription)
        messages.success(request, _("The webhook to %(url)s was deleted.") % {"url": subscription.url})
        return redirect("webhook_list")
    return render(request, "confirm_delete.html", {
        "form": form, "title": _("Delete the webhook to %(url)s?") % {"url": subscription.url}, "submit": _("Delete"),
        "what": _("Nothing more is sent to it, and its deliveries are deleted with it.")})
