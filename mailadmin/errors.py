"""Error pages: a database that cannot be reached is a temporary state, said as such (503); the API
answers its errors as problem+json, also those Django raises before a view runs."""
import sys

from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

API_PREFIX = "/api/"


def bad_request(request, exception):
    """Django's 400 handler: a request refused before any view (a Host header missing or not allowed,
    too many fields, a body too large)."""
    if request.path_info.startswith(API_PREFIX):
        body = {"type": "about:blank", "title": "Bad Request", "status": 400,
                "detail": "The request was refused before it reached the API (for example, its Host header is "
                          "missing or not allowed).", "code": "bad_request"}
        return JsonResponse(body, status=400, content_type="application/problem+json")
    return defaults.bad_request(request, exception)


def server_error(request):
    """Django's 500 handler, called while the exception is being handled."""
    if isinstance(sys.exc_info()[1], DatabaseError):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "60"
        return response
    return render(request, "500.html", status=500)
