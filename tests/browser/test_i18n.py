"""The panel and the owners' pages in German in Chromium (a browser whose language is German):
translated labels, a form error, dates in German form, and no page wider than the window, at
1280 px and at a phone's 390 px.  One browser context per person and width."""
import re
import uuid

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

GERMAN_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
WIDTHS = [1280, 390]


def visit(page, path, name):
    """Opens `path`; fails if the page is wider than the window."""
    page.goto(path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        screenshot(page, f"overflow-{name}-{page.viewport_size['width']}")
    assert overflow <= 0, f"{path} is {overflow} px wider than the window at {page.viewport_size['width']} px"


@pytest.fixture
def german(browser, live_panel):
    """german(width) -> a page of a browser whose language is German, `width` px wide."""
    contexts = []

    def open_page(width):
        context = browser.new_context(base_url=live_panel.url, locale="de-DE",
                                      viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()
    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_panel_in_german(german, width, mail_domain, domain_admin):
    domain = mail_domain(f"de{uuid.uuid4().hex[:8]}.example")
    domain.mailbox("info")
    anna = domain_admin(f"anna{uuid.uuid4().hex[:6]}", domain.domain)
    page = german(width)
    visit(page, "/login/", "login")
    assert page.get_by_role("heading", name="Anmelden").is_visible()
    page.get_by_label("Benutzername").fill(anna.username)
    page.get_by_label("Passwort").fill(anna.password)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    if width < 1200:  # the navigation is folded behind the menu button
        page.locator("label[for=menu-toggle]").click()  # the menu button (its checkbox is hidden)
    assert page.get_by_role("link", name="Postfächer").is_visible()
    visit(page, "/", "domains")
    assert page.get_by_role("columnheader", name="Speicherplatz belegt / zugeteilt").is_visible()
    visit(page, f"/domains/{domain.domain.pk}/", "domain")
    assert page.get_by_role("link", name="Neues Postfach").is_visible()
    assert page.get_by_role("heading", name="Aliasse").is_visible()
    visit(page, "/mailboxes/", "mailboxes")
    assert page.get_by_role("button", name="Auf die angekreuzten Postfächer anwenden").is_visible()
    visit(page, "/audit/", "audit")
    assert page.get_by_role("columnheader", name="Wann (UTC)").is_visible()
    assert GERMAN_DATE.search(page.locator("table tbody").inner_text())
    visit(page, "/stored-mail/", "stored-mail")
    visit(page, "/account/password/", "password")
    page.get_by_label("Aktuelles Passwort").fill(anna.password)
    page.get_by_label("Neues Passwort").fill("ein langes neues Passwort")
    page.get_by_label("Noch einmal dasselbe").fill("ein anderes neues Passwort")
    with page.expect_navigation():
        page.get_by_role("button", name="Passwort ändern").click()
    assert page.get_by_text("Die beiden Passwörter stimmen nicht überein.").is_visible()
    screenshot(page, f"german-form-error-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_owners_pages_in_german(german, width, mail_domain):
    owner = mail_domain("self.example").mailbox(f"de{uuid.uuid4().hex[:10]}")
    page = german(width)
    visit(page, "/me/login/", "owner-login")
    page.get_by_label("E-Mail-Adresse").fill(owner.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()
    visit(page, "/me/", "owner-home")
    assert page.get_by_role("heading", name="Speicherplatz").is_visible()
    assert page.locator("#spam-threshold").inner_text() == "5,0"
    visit(page, "/me/auto-reply/", "owner-auto-reply")
    assert page.get_by_label("Betreff").input_value() == "Abwesenheitsnotiz"
    page.get_by_label("Abwesenheitsnotiz senden").check()
    page.get_by_label("Erster Tag").fill("2030-12-05")
    page.get_by_label("Letzter Tag").fill("2030-12-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    assert page.get_by_text("Der letzte Tag der Abwesenheitsnotiz liegt vor dem ersten.").is_visible()
    page.get_by_label("Letzter Tag").fill("2030-12-24")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    assert page.locator("#auto-reply-state").inner_text() == "An, 05.12.2030 bis 24.12.2030: „Abwesenheitsnotiz“"
    screenshot(page, f"german-owner-home-{width}")
    for path in ("/me/password/", "/me/spam/", "/me/forwarding/"):
        visit(page, path, "owner" + path.replace("/", "-"))
