"""Browser tests: the panel served by gunicorn (as in production) against the test stack's
database, driven by Debian's Chromium through Playwright's sync API.

Every test under tests/browser gets the `browser` marker (`pytest -m "not browser"` leaves them
out). Rows a browser test needs must be committed, so that the gunicorn workers see them: use
`transactional_db` (the `domain_admin` fixture does). Screenshots go to artifacts/screenshots/;
a failing test that used `page` leaves `failed-<test>.png` there.
"""
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
# Root runs Chromium without its sandbox; the rest keeps Chromium from calling Google's
# services, which this machine's closed network refuses (and which a test has no use for).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
PASSWORD = "a long enough password"
TIMEOUT_MS = 10_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the panel in headless Chromium (tests/browser)")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    pages = [item.funcargs.get(name) for name in ("page", "webmail")] if hasattr(item, "funcargs") else []
    page = next((page for page in pages if page is not None), None)
    if report.when == "call" and report.failed and page is not None and not page.is_closed():
        try:
            path = screenshot(page, "failed-" + item.name)
            report.sections.append(("screenshot", str(path)))
        except Exception as error:  # a broken page must not hide the test's own failure
            report.sections.append(("screenshot", f"none: {error}"))
    return report


def screenshot(page, name):
    """Saves a full-page PNG as artifacts/screenshots/<name>.png and returns its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, account):
    """Signs `account` (a PanelAccount) in through the login form and waits for the next page."""
    page.goto("/login/")
    page.get_by_label("Username").fill(account.username)
    page.get_by_label("Password").fill(account.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


@dataclass(frozen=True)
class LivePanel:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    log: Path

    def __str__(self):
        return self.url


def _wait_until_answering(process, url, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2):
                return
        except urllib.error.HTTPError as error:
            hint = " (static files not collected? run manage.py collectstatic)" if error.code == 500 else ""
            raise RuntimeError(f"the served panel answered {error.code} at /login/{hint}; see {log}") from error
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {log}:\n{_tail(log)}")


def _tail(path, lines=20):
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def live_panel(django_db_setup):
    """The panel served by gunicorn on the test stack's panel port (where the stack's Roundcube
    calls its password endpoint), with the test settings, so it uses the test stack's database.
    Yields a LivePanel (`.url`, `.log`); stopped at the end."""
    port = settings.MAILSTACK["panel_port"]
    log = Path(settings.VAR_DIR) / "log" / "gunicorn-tests.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mailadmin.test_settings"}
    command = [sys.executable, "-m", "gunicorn", "mailadmin.wsgi", "--bind", f"127.0.0.1:{port}",
               "--workers", "2", "--graceful-timeout", "5", "--access-logfile", "-"]
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    panel = LivePanel(url=f"http://127.0.0.1:{port}", log=log)
    try:
        _wait_until_answering(process, panel.url, log)
        yield panel
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless, launched once for the tests under tests/browser.

    Playwright's sync API marks its asyncio loop as running in this thread between calls, which
    makes Django refuse ORM calls (SynchronousOnlyOperation) in the tests and in the database
    fixtures' teardown. Nothing here is async, so the check is switched off while the browser
    lives; the package scope keeps that to the browser tests.
    """
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./mailctl installs it)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_panel):
    """A fresh page in its own browser context (no cookies from other tests), with the live
    panel as base URL, so `page.goto("/login/")` works."""
    context = browser.new_context(base_url=live_panel.url, locale="en-US")  # English unless a test asks
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@dataclass(frozen=True)
class PanelAccount:
    username: str
    password: str
    user: object


@pytest.fixture
def domain_admin(transactional_db):
    """Factory: `domain_admin("alice", alpha, beta)` commits a non-superuser who administers the
    given domains, with a known password (`password=` to choose it); returns a PanelAccount."""
    from django.contrib.auth import get_user_model

    def create(username, *domains, password=PASSWORD):
        user = get_user_model().objects.create_user(username, password=password)
        user.domains.add(*domains)
        return PanelAccount(username=username, password=password, user=user)

    return create
