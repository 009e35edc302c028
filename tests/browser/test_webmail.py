"""Roundcube of the bundled stack in Chromium (docs/webmail.md): reading and replying, its
password plugin through the panel's endpoint, a ManageSieve filter beside the panel's spam step,
"mark as junk", a suspended mailbox refused, and the links between the owner's pages and webmail."""
import time
import uuid

import pytest
from django.conf import settings

from domains import services
from domains.audit import Actor
from tests import mail
from tests.browser.conftest import TIMEOUT_MS, screenshot
from tests.conftest import PASSWORD

NEW = "a new password for webmail"
ACTOR = Actor.command("tests")


@pytest.fixture
def webmail(browser, live_panel):
    """A page in its own browser context on the stack's Roundcube (the panel is served too: the
    password plugin calls its endpoint)."""
    context = browser.new_context(base_url=f"http://127.0.0.1:{settings.MAILSTACK['ports']['webmail']}",
                                  viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def owner(mail_domain):
    return mail_domain("webmail.example").mailbox(f"w{uuid.uuid4().hex[:10]}")


def log_in(page, address, password=PASSWORD):
    page.goto("/webmail/")
    page.locator("#rcmloginuser").fill(address)
    page.locator("#rcmloginpwd").fill(password)
    with page.expect_navigation():
        page.locator("#rcmloginsubmit").click()
    page.wait_for_load_state("networkidle")  # Roundcube's scripts ready: a click before is lost


def delivered(address, body="Hello.", **headers):
    """Sends a message by SMTP and waits until it is in the inbox; returns its subject."""
    sent = mail.message(address, body=body, **headers)
    mail.send(sent)
    mail.wait_for(address, PASSWORD, sent["Subject"])
    return sent["Subject"]


def open_message(page, subject):
    page.locator("#messagelist").get_by_text(subject).click()
    return page.frame_locator("#messagecontframe")


def test_a_delivered_message_shows_opens_and_the_reply_is_delivered(webmail, owner, relay_sink):
    subject = delivered(owner.email, body="Meet at the harbour at noon.")
    log_in(webmail, owner.email)
    webmail.locator("#messagelist").get_by_text(subject).wait_for()
    screenshot(webmail, "webmail-inbox")

    message = open_message(webmail, subject)
    message.get_by_text("Meet at the harbour at noon.").wait_for()
    screenshot(webmail, "webmail-message")

    webmail.get_by_title("Reply to sender").click()
    webmail.locator("#composebody").wait_for()
    webmail.locator("#composebody").press("Control+Home")
    webmail.locator("#composebody").type("See you there.\n")
    screenshot(webmail, "webmail-reply")
    webmail.locator(".formbuttons button.send, #rcmbtn_send, a.send").first.click()

    reply = relay_sink.wait_for(f"Re: {subject}")
    assert reply.mail_from == owner.email
    assert b"See you there." in reply.original_content


def change_password(page, current, new):
    page.get_by_label("Current Password").fill(current)
    page.get_by_label("New Password:", exact=True).fill(new)
    page.get_by_label("Confirm New Password").fill(new)
    page.get_by_role("button", name="Save").click()


def test_a_password_changed_in_roundcube_logs_in_and_a_wrong_current_one_changes_nothing(webmail, owner):
    log_in(webmail, owner.email)
    webmail.get_by_role("button", name="Settings").click()
    webmail.get_by_text("Password", exact=True).click()

    change_password(webmail, "not the password at all", NEW)
    webmail.get_by_text("Current password incorrect.").wait_for()
    screenshot(webmail, "webmail-password-refused")
    assert mail.imap_login_works(owner.email, PASSWORD) and not mail.imap_login_works(owner.email, NEW)

    change_password(webmail, PASSWORD, NEW)
    webmail.get_by_text("Successfully saved.").wait_for()
    screenshot(webmail, "webmail-password-saved")
    assert mail.imap_login_works(owner.email, NEW) and not mail.imap_login_works(owner.email, PASSWORD)


def test_a_roundcube_filter_applies_at_the_next_delivery_beside_the_auto_reply_and_the_spam_step(
        webmail, owner, relay_sink):
    """Roundcube's filter (ManageSieve) files mail from one sender into a folder; the panel's
    auto-reply still answers, and spam from that sender still goes to Junk (the spam step first)."""
    from selfservice import services as own

    client = mail.imap(owner.email, PASSWORD)
    client.create("Receipts")
    client.subscribe("Receipts")
    client.logout()
    own.own_rules_set(actor=own.owner_actor(owner), mailbox=owner, vacation_active=True,
                      vacation_subject=(away := f"Away {uuid.uuid4()}"), vacation_text="Back on Monday.")
    log_in(webmail, owner.email)
    webmail.get_by_role("button", name="Settings").click()
    webmail.get_by_text("Filters", exact=True).click()
    assert webmail.get_by_text("mailadmin", exact=True).count() == 0  # the panel's script is not shown
    webmail.get_by_role("button", name="Create").click()
    form = webmail.frame_locator("iframe[name=filter-box]")
    form.get_by_label("Filter name").fill("Shop receipts")
    form.locator("select[name='_header[0]']").select_option("from")
    form.locator("select[name='_rule_op[0]']").select_option("contains")
    form.locator("input[name='_rule_target[0][]']").fill("shop@remote.test")
    form.locator("select[name='_action_type[0]']").select_option("fileinto")
    form.locator("select[name='_action_mailbox[0]']").select_option("Receipts")
    screenshot(webmail, "webmail-filter")
    form.get_by_role("button", name="Save").click()
    webmail.get_by_text("Filter saved successfully.").wait_for()

    receipt = mail.message(owner.email, sender="shop@remote.test")
    mail.send(receipt, sender="shop@remote.test")
    mail.wait_for(owner.email, PASSWORD, receipt["Subject"], folder="Receipts")
    assert relay_sink.wait_for(away).rcpt_tos == ["shop@remote.test"]
    spam = mail.message(owner.email, body=mail.GTUBE, sender="shop@remote.test")
    mail.send(spam, sender="shop@remote.test")
    mail.wait_for(owner.email, PASSWORD, spam["Subject"], folder="Junk")
    assert spam["Subject"] not in mail.folder_subjects(owner.email, PASSWORD, "Receipts")


def test_a_password_changed_in_the_panel_stops_an_open_roundcube_session_reading_mail(webmail, owner):
    subject = delivered(owner.email)
    log_in(webmail, owner.email)
    webmail.locator("#messagelist").get_by_text(subject).wait_for()
    services.mailbox_set_password(actor=ACTOR, mailbox=owner, password=NEW)
    webmail.reload()
    webmail.get_by_text("Authentication failed.").wait_for()  # IMAP refuses the password the session holds
    assert webmail.locator("#messagelist").get_by_text(subject).count() == 0


def test_mark_as_junk_moves_the_message_to_junk(webmail, owner):
    subject = delivered(owner.email)
    log_in(webmail, owner.email)
    open_message(webmail, subject).get_by_text("Hello.").wait_for()
    webmail.get_by_title("This message is junk").click()
    mail.wait_for(owner.email, PASSWORD, subject, folder="Junk")
    # A move is a copy, then an expunge of the original: a reader may see both for a moment.
    deadline = time.monotonic() + 10
    while subject in mail.folder_subjects(owner.email, PASSWORD) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert subject not in mail.folder_subjects(owner.email, PASSWORD)


def test_the_owners_page_links_to_webmail_whose_login_page_links_back(webmail, owner, live_panel):
    webmail.goto(f"{live_panel.url}/me/login/")
    webmail.get_by_label("Email address").fill(owner.email)
    webmail.get_by_label("Password").fill(PASSWORD)
    with webmail.expect_navigation():
        webmail.get_by_role("button", name="Sign in").click()
    with webmail.expect_navigation():
        webmail.get_by_role("link", name="Read your mail (webmail)").click()
    assert webmail.url.startswith(f"http://127.0.0.1:{settings.MAILSTACK['ports']['webmail']}/webmail/")
    back = webmail.locator("a.support-link")
    assert back.get_attribute("href") == f"{live_panel.url}/me/"


def test_a_suspended_mailbox_cannot_log_in(webmail, owner):
    services.mailbox_update(actor=ACTOR, mailbox=owner, active=False)
    log_in(webmail, owner.email)
    webmail.get_by_text("Login failed.").wait_for()
    assert "_task=mail" not in webmail.url
