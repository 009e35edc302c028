"""Server time of each request, in a `Server-Timing: app;dur=<ms>` header.

Outermost middleware of the benchmark settings, so it covers every other middleware (session,
sign-in, second factor, CSRF), the view, its SQL and the template; it leaves out only gunicorn's
own HTTP parsing and the network."""
import time


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
        return response
