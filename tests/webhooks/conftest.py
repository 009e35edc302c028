"""A webhook receiver on 127.0.0.1 (http.server in a thread) that records what it is sent and
answers with the statuses it is told to, and subscriptions to it."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from domains.audit import Actor
from tests.api.conftest import api, world  # noqa: F401 - the API tests' fixtures, used here too
from webhooks import services
from webhooks.delivery import deliver_due
from webhooks.events import EVENT_TYPES
from webhooks.models import Delivery
from webhooks.signing import verify

ACTOR = Actor.command("tests")


class Receiver:
    def __init__(self):
        self.received, self.statuses = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/mail"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, secret=None):
        """The events received, in order, as parsed JSON; each signature checked with `secret`."""
        found = []
        for headers, body in self.received:
            event = json.loads(body)
            assert headers["Content-Type"] == "application/json"
            assert headers["Mailadmin-Event-Id"] == event["id"]
            assert headers["Mailadmin-Event-Type"] == event["type"]
            if secret is not None:
                assert verify(secret, headers["Mailadmin-Signature"], body), headers
            found.append(event)
        return found

    def types(self, secret=None):
        return [(event["type"], event["data"]["domain"]) for event in self.events(secret)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def superadmin_hook(db, receiver):
    """A subscription of every event type, by a command (as a superadmin's): (subscription, secret)."""
    return services.subscription_create(actor=ACTOR, url=receiver.url, event_types=EVENT_TYPES)


def deliver(now=None):
    return deliver_due(now=now)


def deliver_committed(timeout=10):
    """For committed rows, which the test stack's own worker may be sending meanwhile: until none is pending."""
    deadline = time.monotonic() + timeout
    deliver_due()
    while Delivery.objects.filter(state=Delivery.PENDING).exists():
        assert time.monotonic() < deadline, "a delivery stayed pending"
        time.sleep(0.1)
