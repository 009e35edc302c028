"""A billing system's web front end calls the API from its own origin in Chromium: allowed by
MAILADMIN_API_CORS_ORIGINS (the test settings allow CORS_TEST_ORIGIN, on the loopback address), the page reads the
answer; from any other origin the browser refuses it (no CORS headers), and the write is never sent."""
import http.server
import threading

import pytest
from django.conf import settings

from api.models import ACTIONS
from domains import services
from domains.audit import Actor
from domains.models import Domain
from tests.api.conftest import make_key

pytestmark = pytest.mark.stack
FETCH = """async ([url, key]) => {
    try {
        const answer = await fetch(url, {method: "PATCH", headers: {"Authorization": "Bearer " + key,
            "Content-Type": "application/json", "Idempotency-Key": "front-end-1"},
            body: JSON.stringify({description: "set from " + location.origin})});
        return {status: answer.status, body: await answer.json(), location: answer.headers.get("Location")};
    } catch (error) {
        return {error: String(error)};
    }
}"""


class FrontEnd(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the handler's name in http.server
        body = b"<!doctype html><title>Billing</title><h1>Billing</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def front_end():
    """A billing front end's page, served on the allowed origin's port (a real loopback server:
    Chromium lets only pages served from a loopback address call one)."""
    port = int(settings.CORS_TEST_ORIGIN.rsplit(":", 1)[1])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), FrontEnd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    server.shutdown()
    server.server_close()


def front_end_page(browser, origin):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{origin}/")
    return context, page


def test_an_allowed_origin_calls_the_api_and_another_is_refused_by_the_browser(browser, live_panel, front_end,
                                                                                 transactional_db):
    services.domain_create(actor=Actor.command("tests"), name="front.example")
    _, key = make_key("front end", all_domains=True, allowed_actions=list(ACTIONS))
    url = f"{live_panel.url}/api/v1/domains/front.example/"

    allowed = settings.CORS_TEST_ORIGIN
    context, page = front_end_page(browser, allowed)
    try:
        answer = page.evaluate(FETCH, [url, key])
    finally:
        context.close()
    assert answer.get("status") == 200, answer
    assert answer["body"]["description"] == f"set from {allowed}"

    context, page = front_end_page(browser, allowed.replace("127.0.0.1", "localhost"))  # another origin
    try:
        answer = page.evaluate(FETCH, [url, key])
    finally:
        context.close()
    assert "Failed to fetch" in answer.get("error", ""), answer  # the page learns nothing
    # The preflight was refused, so the PATCH itself never reached the API.
    assert Domain.objects.get(name="front.example").description == f"set from {allowed}"
