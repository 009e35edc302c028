"""Error pages: a database that cannot be reached is a temporary state, said as such (503); the API
answers its errors as problem+json, also those Django raises before a view runs."""
import logging
import sys

from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

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
    """Django's 500 handler, called while the exception is being handled.  It must not fail in turn:
    when the panel's page cannot be rendered (its static files missing after a broken deployment,
    say), a plain page says the same."""
    unavailable = isinstance(sys.exc_info()[1], DatabaseError)
    status = 503 if unavailable else 500
    try:
        response = render(request, f"{status}.html", status=status)
    except Exception:
        logger.exception("The %s page could not be rendered; a plain one was sent", status)
        title = escape(_("Temporarily unavailable") if unavailable else _("Something went wrong"))
        response = HttpResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1>", status=status)
    if unavailable:
        response["Retry-After"] = "60"
    return response
