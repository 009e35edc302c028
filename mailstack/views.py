from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from mailstack import health


@require_safe
@never_cache
def healthz(request):
    """For monitors and the host's own probes: no sign-in, nothing secret (docs/production.md)."""
    parts = health.report()
    healthy = all(answer == "ok" for answer in parts.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "parts": parts}, status=200 if healthy else 503)
