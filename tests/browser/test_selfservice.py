"""A mailbox owner on the self-service pages in Chromium: sign-in, password change, auto-reply."""
import uuid
from urllib.parse import urlsplit

from tests import mail
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD
from tests.selfservice.conftest import sieve_script

NEW = "my new and long mail password"


def test_an_owner_signs_in_changes_the_password_and_sets_up_an_auto_reply(page, mail_domain, relay_sink):
    owner = mail_domain("self.example").mailbox(f"b{uuid.uuid4().hex[:10]}")

    page.goto("/me/")
    assert urlsplit(page.url).path == "/me/login/"
    page.get_by_label("Email address").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "selfservice-login")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert urlsplit(page.url).path == "/me/"
    assert page.get_by_role("heading", name=owner.email).is_visible()
    assert page.locator("#spam-threshold").inner_text() == "5.0"
    screenshot(page, "selfservice-home")

    page.get_by_role("link", name="Password").click()
    page.get_by_label("Current password").fill(PASSWORD)
    page.locator("#id_new_password1").fill(NEW)
    page.locator("#id_new_password2").fill(NEW)
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    assert page.get_by_text("Your password was changed.").is_visible()
    assert mail.imap_login_works(owner.email, NEW) and not mail.imap_login_works(owner.email, PASSWORD)

    subject = f"Out of office {uuid.uuid4()}"
    page.get_by_role("link", name="Auto-reply").click()
    page.get_by_label("Send an auto-reply").check()
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Text").fill("I read mail again on Monday.")
    screenshot(page, "selfservice-auto-reply")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert page.locator("#auto-reply-state").inner_text().startswith("On")
    screenshot(page, "selfservice-home-auto-reply-on")
    assert "vacation" in sieve_script(owner.email, "mailadmin")

    mail.send(mail.message(owner.email))
    assert b"I read mail again on Monday." in relay_sink.wait_for(subject).original_content
