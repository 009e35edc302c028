"""The panel and the REST API as their users reach them: over HTTP, served by gunicorn.

Each request's server time is read from the `Server-Timing` header that `benchmarks.timing` adds
(Django's whole handling: middleware, view, SQL, templates); the time the client waited for the
answer is kept beside it.  Requests are sent one at a time, after a few untimed warm-ups."""
import http.client
import json
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.test import Client
from django.urls import resolve

from api.services import api_key_create
from domains.audit import Actor
from domains.models import Domain, Mailbox
from domains.passwords import hash_password
from mailstack.daemons import StackError, _wait_for, port_open
from tests.signin import sign_in_with_second_factor

from .stats import summary

WARMUP = 3
BULK_SIZE = 10_000
BULK_URL = "/api/v1/mailboxes/bulk/"
SERVER_TIMING = re.compile(r"app;dur=([\d.]+)")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Gunicorn:
    """The panel under gunicorn with the benchmark settings, on PORT_BASE + 8000."""

    def __init__(self, workers: int = 2):
        self.port = settings.PORT_BASE + 8000
        self.workers = workers
        self.process = None

    def __enter__(self):
        log = open(Path(settings.MAILSTACK["var_dir"]) / "log" / "gunicorn.log", "ab")
        self.process = subprocess.Popen(
            [Path(sys.executable).with_name("gunicorn"), "mailadmin.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--env", "DJANGO_SETTINGS_MODULE=benchmarks.settings"],
            cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _wait_for(lambda: port_open(self.port) or self.process.poll() is not None, "gunicorn", timeout=60)
        if self.process.poll() is not None:
            raise StackError(f"gunicorn stopped at once; see {log.name}")
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


@dataclass
class Answer:
    status: int
    body: bytes
    server_ms: float | None
    client_ms: float
    cookies: dict = field(default_factory=dict)


class HttpClient:
    """One keep-alive connection with the session or API key headers of one kind of user."""

    def __init__(self, port: int, headers: dict):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.headers = {"Host": "localhost", **headers}

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> Answer:
        started = time.perf_counter()
        self.connection.request(method, url, body=body, headers={**self.headers, **(headers or {})})
        response = self.connection.getresponse()
        content = response.read()
        client_ms = (time.perf_counter() - started) * 1000
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        timing = SERVER_TIMING.search(response.getheader("Server-Timing", ""))
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return Answer(response.status, content, float(timing.group(1)) if timing else None, client_ms,
                      {name: morsel.value for name, morsel in cookies.items()})


@dataclass
class Case:
    """One kind of request; `make` returns (method, url, body, headers) for the n-th request."""

    area: str
    name: str
    client: HttpClient
    make: object
    expect: int = 200
    check: str = ""


def measure_case(case: Case, requests: int) -> dict:
    server, client = [], []
    for number in range(-WARMUP, requests):
        method, url, body, headers = case.make(number)
        answer = case.client.request(method, url, body, headers)
        if answer.status != case.expect or case.check.encode() not in answer.body:
            raise StackError(f"{case.area} {case.name}: {method} {url} answered {answer.status}: {answer.body[:300]!r}")
        if number >= 0:
            server.append(answer.server_ms)
            client.append(answer.client_ms)
    return {"area": case.area, "name": case.name, "server_ms": summary(server), "client_ms": summary(client)}


def _panel_session(port: int) -> tuple[HttpClient, str]:
    """A superadmin's signed-in session past the second factor, and a CSRF token for it."""
    user = get_user_model().objects.filter(is_superuser=True, username="bench").get()
    browser = Client(SERVER_NAME="localhost")
    sign_in_with_second_factor(browser, user)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    panel = HttpClient(port, {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"})
    return panel, session


def _csrf(panel: HttpClient, session: str, url: str) -> str:
    answer = panel.request("GET", url)
    token = CSRF_FIELD.search(answer.body.decode()).group(1)
    csrf_cookie = answer.cookies.get(settings.CSRF_COOKIE_NAME)
    if csrf_cookie:
        panel.headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf_cookie}"
    return token


def _api_client(port: int) -> HttpClient:
    _key, plaintext = api_key_create(actor=Actor.command("bench"), name=f"bench-{secrets.token_hex(3)}",
                                     all_domains=True, domains=[], read_only=False, allowed_actions=[], expires=None)
    return HttpClient(port, {"Authorization": f"Bearer {plaintext}", "Accept": "application/json"})


def _form(fields: dict) -> tuple[bytes, dict]:
    from urllib.parse import urlencode

    return urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}


def _json(document) -> tuple[bytes, dict]:
    return json.dumps(document).encode(), {"Content-Type": "application/json"}


def cases(port: int, run: str) -> list[Case]:
    """The panel's and the API's list, search, detail and create requests on the seeded data."""
    panel, session = _panel_session(port)
    api = _api_client(port)
    domains = Domain.objects.order_by("name")
    typical = domains[domains.count() // 2]
    largest_id = (Mailbox.objects.values("domain").annotate(mailboxes=Count("id")).order_by("-mailboxes")
                  .first()["domain"])
    middle = Mailbox.objects.order_by("email").filter(domain=typical).first()
    prefix = middle.email[:8]
    pre_hashed = hash_password(secrets.token_urlsafe(16))
    password = secrets.token_urlsafe(16)
    create_url = f"/domains/{typical.pk}/mailboxes/new/"
    token = _csrf(panel, session, create_url)

    def get(url):
        return lambda n: ("GET", url, None, None)

    def panel_create(n):
        body, headers = _form({"csrfmiddlewaretoken": token, "local_part": f"panel-{run}-{n + WARMUP}",
                               "password": password, "display_name": "", "quota": "", "spam_threshold": "",
                               "active": "on"})
        return "POST", create_url, body, headers

    def api_create(secret):
        def make(n):
            body, headers = _json({"address": f"api-{run}-{secret}-{n + WARMUP}@{typical.name}", secret: (
                password if secret == "password" else pre_hashed)})
            return "POST", "/api/v1/mailboxes/", body, headers
        return make

    return [
        Case("panel", "mailbox list, page 1", panel, get("/mailboxes/"), check="<td>user"),
        Case("panel", "mailbox search, address prefix", panel, get(f"/mailboxes/?q={prefix}"), check=f"<td>{prefix}"),
        Case("panel", "domain list, page 1", panel, get("/"), check='<td><a href="/domains/'),
        Case("panel", "domain page (detail), largest domain", panel, get(f"/domains/{largest_id}/"),
             check="<td>user"),
        Case("panel", "mailbox edit page (detail)", panel, get(f"/mailboxes/{middle.pk}/edit/"), check=middle.email),
        Case("panel", "mailbox create (form, password hashed)", panel, panel_create, expect=302),
        Case("api", "GET mailbox list page", api, get("/api/v1/mailboxes/"), check='"address"'),
        Case("api", "GET mailbox search, prefix", api, get(f"/api/v1/mailboxes/?prefix={prefix}"), check=prefix),
        Case("api", "GET one mailbox", api, get(f"/api/v1/mailboxes/{middle.email}/"), check=middle.email),
        Case("api", "POST mailbox, plain password (hashed)", api, api_create("password"), expect=201),
        Case("api", "POST mailbox, pre-hashed password", api, api_create("password_hash"), expect=201),
    ]


def hash_time(requests: int) -> dict:
    """How long one new password hash takes in-process (the scheme of the settings)."""
    times = []
    for _ in range(max(requests // 3, 3)):
        started = time.perf_counter()
        hash_password(secrets.token_urlsafe(16))
        times.append((time.perf_counter() - started) * 1000)
    return {"area": "api", "name": f"password hash alone ({settings.MAILADMIN_PASSWORD_SCHEME}, in-process)",
            "server_ms": summary(times), "client_ms": summary(times)}


def bulk_create(port: int, run: str, repeat: int) -> dict:
    """`POST /api/v1/mailboxes/bulk/` with BULK_SIZE pre-hashed mailboxes, in a domain of its own; "not
    available" (never a figure) where the endpoint is missing (404, 405)."""
    result = {"name": f"bulk create of {BULK_SIZE:,} mailboxes (pre-hashed)", "size": BULK_SIZE}
    if resolve(BULK_URL).url_name == "mailbox":
        # Without the bulk route, "bulk" is taken for a mailbox address by the route of one mailbox.
        return result | {"available": False, "status": "no route: the path is taken as one mailbox's address"}
    api = _api_client(port)
    pre_hashed = hash_password(secrets.token_urlsafe(16))
    seconds, server = [], []
    for attempt in range(repeat):
        domain = Domain.objects.create(name=f"bulk-{run}-{attempt}.example")
        body, headers = _json({"mailboxes": [
            {"address": f"m{number:05d}@{domain.name}", "password_hash": pre_hashed} for number in range(BULK_SIZE)]})
        answer = api.request("POST", BULK_URL, body, headers)
        if answer.status in (404, 405):
            return result | {"available": False, "status": f"HTTP {answer.status}"}
        if answer.status not in (200, 201):
            return result | {"available": True, "error": f"{answer.status}: {answer.body[:300]!r}"}
        created = Mailbox.objects.filter(domain=domain).count()
        if created != BULK_SIZE:
            return result | {"available": True, "error": f"{created} mailboxes created, not {BULK_SIZE}"}
        seconds.append(answer.client_ms / 1000)
        server.append(answer.server_ms)
    return result | {"available": True, "seconds": summary(seconds),
                     "per_second": summary([BULK_SIZE / value for value in seconds])}


def measure(*, requests: int, repeat: int, run: str, log) -> dict:
    with Gunicorn() as server:
        figures = []
        for case in cases(server.port, run):
            figures.append(measure_case(case, requests))
            log(f"  {case.area} {case.name}: median {figures[-1]['server_ms']['median']:.1f} ms server time")
        figures.append(hash_time(requests))
        bulk = bulk_create(server.port, run, repeat)
        log(f"  api bulk create: {bulk}"[:200])
    return {"requests": figures, "bulk_api": bulk}
