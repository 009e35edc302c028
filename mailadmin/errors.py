"""Error pages: a database that cannot be reached is a temporary state, said as such (503)."""
import sys

from django.db import DatabaseError
from django.shortcuts import render


def server_error(request):
    """Django's 500 handler, called while the exception is being handled."""
    if isinstance(sys.exc_info()[1], DatabaseError):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = "60"
        return response
    return render(request, "500.html", status=500)
