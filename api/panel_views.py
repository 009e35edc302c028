"""The panel's pages for API keys: superadmins only (404 to everyone else), through api.services.

A new key is shown once, on the page that answers its creation, and never again: the database
holds only its hash."""
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from api import services
from api.forms import ApiKeyForm
from api.models import ApiKey
from mailadmin.forms import ConfirmForm
from mailadmin.view_helpers import actor_of, call_service, page_of, posted, require_superadmin


@login_required
def api_key_list(request):
    require_superadmin(request.user)
    keys = ApiKey.objects.prefetch_related("domains")
    return render(request, "api/api_key_list.html", {"page": page_of(request, keys), "now": timezone.now()})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_key_create(request):
    require_superadmin(request.user)
    form = ApiKeyForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        expires = timezone.now() + timedelta(days=data["expires_days"]) if data["expires_days"] else None
        created = call_service(form, services.api_key_create, actor=actor_of(request), name=data["name"],
                               all_domains=data["all_domains"], domains=data["domains"],
                               read_only=data["read_only"], allowed_actions=data["allowed_actions"],
                               expires=expires)
        if created:
            key, plaintext = created
            return render(request, "api/api_key_created.html", {"key": key, "plaintext": plaintext})
    return render(request, "form.html", {"form": form, "title": _("New API key"), "submit": _("Create")})


@login_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, pk):
    require_superadmin(request.user)
    key = get_object_or_404(ApiKey, pk=pk)
    form = ConfirmForm(posted(request))
    if request.method == "POST" and form.is_valid():
        services.api_key_revoke(actor=actor_of(request), key=key)
        messages.success(request, _("The API key %(prefix)s (%(name)s) was revoked.")
                         % {"prefix": key.prefix, "name": key.name})
        return redirect("api_key_list")
    return render(request, "confirm_delete.html", {
        "form": form,
        "title": _("Revoke the API key %(prefix)s (%(name)s)?") % {"prefix": key.prefix, "name": key.name},
        "submit": _("Revoke"), "what": _("It stops working at once, for every request. This cannot be undone.")})
