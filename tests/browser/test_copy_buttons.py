"""The copy buttons beside a secret the panel shows once (a new API key, a new webhook's signing
secret, new recovery codes): from the keyboard, each copies the whole secret, exactly, and says so
in the live region; without JavaScript the button is gone and the secret is still there to select.

One superadmin, signed in once per test; each test makes the three secrets in turn."""
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticToken
from playwright.sync_api import expect

from accounts.services.two_factor import RECOVERY_CODE_COUNT
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_layout import form_sent, session_cookie
from webhooks.models import Subscription

pytestmark = pytest.mark.stack
# (the page's name, where its form is, how the form is sent, the copy button, the secret's element)
SECRETS = [
    ("API key", "/api-keys/new/",
     form_sent("Create", fill={"#id_name": "copy check"}, tick=["All domains (also creates domains)"]),
     "Copy the key", "#api-key"),
    ("webhook", "/webhooks/new/",
     form_sent("Create", fill={"#id_url": "https://hooks.example.com/copy"}, tick=["mailbox.created"]),
     "Copy the secret", "#webhook-secret"),
    ("recovery codes", "/account/two-factor/", form_sent("Make new recovery codes"), "Copy the codes",
     "#recovery-codes"),
]
FOCUSED_COPY_BUTTON = "() => document.activeElement.matches('[data-copy]') && document.activeElement.textContent"


def signed_in_page(browser, live_panel, **options):
    """A page of a new browser context, signed in as a new superadmin (with an authenticator app)."""
    root = get_user_model().objects.create_superuser("root", password="a long superadmin password")
    context = browser.new_context(base_url=live_panel.url, locale="en-US", **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies([session_cookie(root, live_panel)])
    return context.new_page(), root


def api_key_works(live_panel, key) -> bool:
    request = urllib.request.Request(f"{live_panel.url}/api/v1/domains/", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def test_from_the_keyboard_each_copy_button_copies_the_exact_secret_and_says_so(browser, live_panel,
                                                                               transactional_db):
    page, root = signed_in_page(browser, live_panel)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    announcer = page.locator("#announcer")
    copied = {}
    try:
        for name, path, reach, button, _ in SECRETS:
            assert reach(page, path).status == 200, name
            page.evaluate("navigator.clipboard.writeText('')")
            presses = 0
            while page.evaluate(FOCUSED_COPY_BUTTON) != button:
                assert presses < 40, f"Tab never reached {button!r} on the {name} page"
                page.keyboard.press("Tab")
                presses += 1
            page.keyboard.press("Enter")
            expect(announcer).to_have_text("Copied to the clipboard.")
            copied[name] = page.evaluate("navigator.clipboard.readText()")
    finally:
        page.context.close()

    assert api_key_works(live_panel, copied["API key"])
    assert copied["webhook"] == Subscription.objects.get(url="https://hooks.example.com/copy").secret
    codes = copied["recovery codes"].split("\n")
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=root).values_list("token", flat=True))
    assert len(codes) == RECOVERY_CODE_COUNT


def test_without_javascript_the_secret_is_shown_selectable_and_the_copy_button_is_hidden(browser, live_panel,
                                                                                       transactional_db):
    page, _ = signed_in_page(browser, live_panel, java_script_enabled=False)
    try:
        for name, path, reach, button, secret in SECRETS:
            assert reach(page, path).status == 200, name
            assert page.get_by_role("button", name=button).count() == 0, name  # hidden: out of the page's roles
            shown = page.locator(secret)
            expect(shown).to_be_visible()
            text = shown.inner_text().strip()
            assert len(text) >= 20 and shown.evaluate("element => getComputedStyle(element).userSelect") != "none"
            shown.select_text()
            assert shown.evaluate("element => window.getSelection().toString().trim()") == text, name
    finally:
        page.context.close()
