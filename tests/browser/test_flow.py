"""The main flow in a real browser: a superadmin sets up the second factor, creates a domain,
a mailbox and an alias; mail sent over SMTP to the alias is read over IMAP in the mailbox.
A domain admin of another domain does not see any of it."""
from base64 import b32decode
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP

from domains import services
from domains.audit import Actor
from tests import mail
from tests.browser.conftest import PanelAccount, screenshot, sign_in

pytestmark = pytest.mark.stack
MAILBOX_PASSWORD = "a mailbox passphrase for the flow"


def current_code(page) -> str:
    secret = page.locator("#totp-secret").inner_text().strip()
    return f"{TOTP(b32decode(secret + '=' * (-len(secret) % 8))).token():06d}"


def submit(page, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_superadmin_creates_domain_mailbox_and_alias_and_mail_arrives(page, browser, live_panel, domain_admin):
    root = get_user_model().objects.create_superuser("root", password="a long superadmin password")
    sign_in(page, PanelAccount("root", "a long superadmin password", root))
    assert urlsplit(page.url).path == "/account/two-factor/setup/"
    screenshot(page, "two-factor-setup")
    page.get_by_label("Code").fill(current_code(page))
    submit(page, "Turn on")
    assert page.locator("#recovery-codes li").count() == 10
    with page.expect_navigation():
        page.get_by_role("link", name="Continue").click()

    page.get_by_role("link", name="New domain").click()
    page.get_by_label("Name").fill("flow.example")
    page.get_by_label("Send postmaster@ and abuse@ to").fill("inbox@flow.example")
    submit(page, "Create domain")
    assert page.get_by_text("The domain flow.example was created.").is_visible()

    page.get_by_role("link", name="New mailbox").click()
    page.get_by_label("Address").fill("inbox")
    page.get_by_label("Password").fill(MAILBOX_PASSWORD)
    submit(page, "Create")
    assert page.get_by_text("The mailbox inbox@flow.example was created.").is_visible()

    page.get_by_role("link", name="New alias").click()
    page.get_by_label("Address").fill("sales")
    page.get_by_label("Destinations").fill("inbox@flow.example")
    submit(page, "Create")
    assert page.get_by_role("cell", name="sales@flow.example", exact=True).is_visible()

    sent = mail.message("sales@flow.example", body="An order, please.")
    mail.send(sent)
    received = mail.wait_for("inbox@flow.example", MAILBOX_PASSWORD, sent["Subject"])
    assert received.get_content().strip() == "An order, please."
    page.reload()
    screenshot(page, "domain")
    for name, path in (("mailboxes", "/mailboxes/"), ("audit-log", "/audit/"), ("stored-mail", "/stored-mail/"),
                       ("admins", "/admins/")):
        page.goto(path)
        screenshot(page, name)

    other = services.domain_create(actor=Actor.command("tests"), name="other.example")
    dave = domain_admin("dave", other)
    context = browser.new_context(base_url=live_panel.url, locale="en-US")  # English unless a test asks
    try:
        daves_page = context.new_page()
        sign_in(daves_page, dave)
        assert "flow.example" not in daves_page.content()
        flow_id = page.url.rstrip("/").split("/")[-1]  # the domain page of the superadmin, guessed by dave
        assert daves_page.goto(f"/domains/{flow_id}/").status == 404
    finally:
        context.close()
