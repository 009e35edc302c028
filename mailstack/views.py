from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from mailadmin.view_helpers import require_superadmin
from mailstack import health, metrics, metrics_access, status


@require_safe
@never_cache
def healthz(request):
    """For monitors and the host's own probes: no sign-in, nothing secret (docs/production.md)."""
    parts = health.report()
    healthy = all(answer == "ok" for answer in parts.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "parts": parts}, status=200 if healthy else 503)


@require_safe
@never_cache
def metrics_view(request):
    """For Prometheus, from the allowed addresses or with the token (docs/metrics.md)."""
    allowed = metrics_access.decision(request)
    if allowed == metrics_access.NO_TOKEN:
        response = HttpResponse("A valid bearer token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if allowed == metrics_access.REFUSED:
        return HttpResponse("Not allowed from this address.\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


@login_required
@require_safe
@never_cache
def status_page(request):
    """Superadmins only (404 to everyone else): the server at a glance."""
    require_superadmin(request.user)
    return render(request, "mailstack/status.html", status.report())
