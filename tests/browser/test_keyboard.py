"""The panel from the keyboard and for screen readers: the focus is always visible, a field's error
is tied to the field, and the password generator and copy buttons say what they did."""
import re

import pytest
from playwright.sync_api import expect

from domains import services
from domains.audit import Actor
from tests import mail
from tests.browser.test_layout import session_cookie
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack
ACTOR = Actor.command("tests")
FOCUSED = """() => {
  const element = document.activeElement, style = getComputedStyle(element);
  return {name: `${element.tagName} ${element.id || element.textContent.trim()}`.slice(0, 60),
          outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


@pytest.fixture
def signed_in(page, live_panel, domain_admin):
    """A domain admin's page, signed in, and their domain with one mailbox."""
    domain = services.domain_create(actor=ACTOR, name="keyboard.example")
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="kim", password=PASSWORD)
    page.context.add_cookies([session_cookie(domain_admin("fay", domain).user, live_panel)])
    return page, domain, mailbox


def test_tabbing_through_a_form_reaches_its_button_and_always_shows_the_focus(signed_in):
    page, domain, _ = signed_in
    page.goto(f"/domains/{domain.pk}/mailboxes/new/")

    focused = []
    while not focused or focused[-1]["name"] != "BUTTON Create":
        assert len(focused) < 40, f"Tab never reached the Create button: {focused}"
        page.keyboard.press("Tab")
        focused.append(page.evaluate(FOCUSED))
    hidden = [element["name"] for element in focused if element["outline"] == "none" or element["width"] < 2]
    assert not hidden, f"focused without a visible outline: {hidden}"


def test_a_fields_error_is_tied_to_the_field(signed_in):
    page, _, mailbox = signed_in
    page.goto(f"/mailboxes/{mailbox.pk}/password/")
    page.locator("#id_password").fill("one long enough password")
    page.locator("#id_confirm").fill("another long enough password")
    with page.expect_navigation():
        page.get_by_role("button", name="Set password").click()

    confirm = page.locator("#id_confirm")
    assert confirm.get_attribute("aria-invalid") == "true"
    described_by = [page.locator(f"#{name}").inner_text().strip()
                    for name in confirm.get_attribute("aria-describedby").split()]
    assert "The two passwords differ." in described_by


def test_the_password_generator_and_the_copy_button_announce_what_they_did(signed_in):
    page, domain, mailbox = signed_in
    announcer = page.locator("#announcer")
    page.goto(f"/mailboxes/{mailbox.pk}/password/")
    assert announcer.get_attribute("aria-live") == "polite"

    page.get_by_role("button", name="Generate a password").click()
    expect(announcer).to_have_text("A new password is filled in and shown in the field: note it down.")
    password = page.locator("#id_password").input_value()
    assert re.fullmatch(r"([\w.]{8}-){3}[\w.]{8}", password), password  # 32 symbols of 64: 192 bits
    assert page.locator("#id_confirm").input_value() == password
    assert page.locator("#id_password").get_attribute("type") == "text"
    with page.expect_navigation():
        page.get_by_role("button", name="Set password").click()
    assert mail.imap_login_works(mailbox.email, password)

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the records").click()
    expect(announcer).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()").startswith(f"{domain.name}. MX ")
