"""/healthz: 200 while the database and every daemon of the stack answer, else 503 naming the part."""
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from mailstack.daemons import Dovecot
from tests.test_unavailable import break_database

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]

PARTS = {"database", "postfix", "dovecot", "spamd", "spamass-milter", "postsrsd", "opendkim", "opendkim-ed25519",
         "webmail"}


def ask():
    started = time.monotonic()
    response = Client().get("/healthz")
    return response, time.monotonic() - started


def test_all_up_answers_200_to_an_anonymous_client_with_nothing_secret():
    response, _ = ask()
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "parts": dict.fromkeys(PARTS, "ok")}
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    secrets = [settings.MAILSTACK["hostname"], "127.0.0.1", settings.DATABASES["default"]["PASSWORD"],
               settings.DATABASES["default"]["USER"], *map(str, settings.MAILSTACK["ports"].values())]
    assert not [secret for secret in secrets if secret and secret in body]
    assert not re.search(r"\d+\.\d+", body), "no version string"
    assert "Set-Cookie" not in response.headers


def test_webmail_stopped_answers_503_naming_the_webmail_alone():
    from mailstack.webmail import WebmailNginx

    nginx = WebmailNginx()
    nginx.stop()
    try:
        response, _ = ask()
    finally:
        nginx.start()
    assert (response.status_code, response.json()["parts"]) == (
        503, dict.fromkeys(PARTS, "ok") | {"webmail": "connection refused"})


def test_the_hosts_probe_gets_the_answer_over_plain_http_with_the_host_name(settings):
    """As deployed: HTTPS redirect on, ALLOWED_HOSTS the mail host name only."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["mx.example.net"]
    probe = Client(HTTP_HOST="mx.example.net")
    assert probe.get("/login/").status_code == 301
    assert probe.get("/healthz").status_code == 200
    assert Client(HTTP_HOST="localhost", raise_request_exception=False).get("/healthz").status_code == 400


def test_dovecot_stopped_answers_503_naming_dovecot_alone():
    dovecot = Dovecot()
    dovecot.stop()
    try:
        response, took = ask()
    finally:
        dovecot.start()
    assert response.status_code == 503
    assert response.json() == {"status": "failing",
                               "parts": dict.fromkeys(PARTS, "ok") | {"dovecot": "connection refused"}}
    assert took < 2


def test_database_unreachable_answers_503_naming_the_database_alone():
    restore = break_database()
    try:
        response, took = ask()
    finally:
        restore()
    assert response.status_code == 503
    assert response.json()["parts"] == dict.fromkeys(PARTS, "ok") | {"database": "no answer"}
    assert took < 2


def test_a_daemon_that_never_accepts_times_out_and_the_answer_stays_bounded(settings):
    """A listener whose queue is full drops new connections: the probe gives up, the answer is quick."""
    stuck = socket.create_server(("127.0.0.1", 0), backlog=0)
    queued = []
    try:
        while True:  # fill the accept queue until a connection is no longer taken
            waiting = socket.socket()
            waiting.settimeout(0.3)
            queued.append(waiting)
            try:
                waiting.connect(stuck.getsockname())
            except TimeoutError:
                break
        ports = dict(settings.MAILSTACK["ports"])
        settings.MAILSTACK = settings.MAILSTACK | {"ports": ports | {"spamd": stuck.getsockname()[1],
                                                                     "milter": stuck.getsockname()[1]}}
        response, took = ask()
    finally:
        for waiting in queued:
            waiting.close()
        stuck.close()
    assert response.status_code == 503
    assert response.json()["parts"] == dict.fromkeys(PARTS, "ok") | {"spamd": "timed out",
                                                                      "spamass-milter": "timed out"}
    assert took < 1.5


def test_an_installed_host_probes_the_production_daemons_on_their_standard_ports_and_socket():
    from mailstack import health
    from mailstack.config import PRODUCTION_MILTER_SOCKET

    daemons = health.production_endpoints()
    assert set(daemons) == PARTS - {"database"}
    assert {25, 465, 587} <= set(daemons["postfix"])
    assert {143, 993, 24, 12345, 12346} <= set(daemons["dovecot"])  # IMAP, LMTP, the auth and quota-status
    # listeners Postfix asks
    assert daemons["spamass-milter"] == (PRODUCTION_MILTER_SOCKET,)
    assert daemons["opendkim"] == (8891,)
    assert health.probe("/nonexistent/health.sock") == "not listening"


def test_a_superadmin_held_at_the_second_factor_step_gets_the_answer_too(admin_user):
    """A browser signed in half-way is sent to the second factor everywhere else, not here."""
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get("/").status_code == 302
    response = browser.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_a_socket_the_panel_may_not_open_counts_only_while_it_exists():
    """As the milter's socket (postfix's, 0660) is for the panel's user: present means listening."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "milter.sock"
        Path(folder).chmod(0o755)
        as_another_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c",
                           f"from mailstack import health; print(health.probe({str(path)!r}))"]

        def probed() -> str:
            return subprocess.run(as_another_user, capture_output=True, text=True, check=True,
                                  cwd=settings.BASE_DIR).stdout.strip()

        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(str(path))
            listener.listen()
            path.chmod(0o600)
            assert probed() == "ok"
            Path(folder).chmod(0o700)  # nor may it look into the folder: it cannot tell
            assert probed() == "unreachable"
            Path(folder).chmod(0o755)
        path.unlink()
        assert probed() == "not listening"
