"""A superadmin makes an API key in the panel, uses it once from a billing system's point of
view, and revokes it; the key is shown once and the list never shows it."""
import json
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from domains import services
from domains.audit import Actor
from tests.browser.conftest import PanelAccount, screenshot, sign_in

pytestmark = pytest.mark.stack
PASSWORD = "a long superadmin password"


def api_status(live_panel, key) -> int:
    request = urllib.request.Request(f"{live_panel.url}/api/v1/domains/", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status if json.load(response)["results"][0]["name"] == "keys.example" else -1
    except urllib.error.HTTPError as error:
        return error.code


def test_a_superadmin_creates_and_revokes_an_api_key(page, live_panel, transactional_db):
    services.domain_create(actor=Actor.command("tests"), name="keys.example")
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    device = TOTPDevice.objects.create(user=root, name="Authenticator app", confirmed=True)
    sign_in(page, PanelAccount("root", PASSWORD, root))
    page.get_by_label("Code").fill(f"{TOTP(device.bin_key).token():06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="New API key").click()
    page.locator("#id_name").fill("billing system")  # "Name" alone would match mailbox.rename too
    page.get_by_label("Domains", exact=True).select_option("keys.example")
    page.get_by_label("mailbox.suspend").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    key = page.locator("#api-key").inner_text().strip()
    assert key.startswith("mak_")
    screenshot(page, "api-key-created")
    assert api_status(live_panel, key) == 200

    with page.expect_navigation():
        page.get_by_role("link", name="Done").click()
    listing = page.content()
    assert "billing system" in listing and "keys.example" in listing and "mailbox.suspend" in listing
    assert key not in listing and key.split("_", 2)[2] not in listing  # mak_<prefix>_<secret>
    screenshot(page, "api-keys")

    page.get_by_role("link", name="Revoke").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke").click()
    assert page.get_by_text("was revoked").is_visible()
    assert api_status(live_panel, key) == 401
