"""Signing in through the real form in Chromium, against the panel served by gunicorn."""
from urllib.parse import urlsplit

import pytest

from domains import services
from domains.audit import Actor
from tests.browser.conftest import screenshot, sign_in


@pytest.fixture
def two_domains(transactional_db):
    actor = Actor.command("tests")
    return (services.domain_create(actor=actor, name="alpha.example"),
            services.domain_create(actor=actor, name="beta.example"))


def test_a_domain_admin_signs_in_and_sees_only_their_domains(page, live_panel, two_domains, domain_admin):
    alpha, _beta = two_domains
    alice = domain_admin("alice", alpha)

    page.goto("/")
    assert urlsplit(page.url).path == "/login/"
    screenshot(page, "login")

    sign_in(page, alice)
    assert urlsplit(page.url).path == "/"
    table = page.get_by_role("table")
    assert table.get_by_role("cell", name="alpha.example", exact=True).is_visible()
    assert "beta.example" not in page.content()
    assert page.get_by_text("alice", exact=True).is_visible()  # the signed-in user, in the navbar
    screenshot(page, "home")


def test_a_wrong_password_keeps_the_user_on_the_sign_in_page(page, domain_admin):
    alice = domain_admin("alice")
    page.goto("/login/")
    page.get_by_label("Username").fill(alice.username)
    page.get_by_label("Password").fill("not the password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()

    assert urlsplit(page.url).path == "/login/"
    assert page.get_by_text("Please enter a correct username and password").is_visible()
    assert page.get_by_label("Username").input_value() == "alice"
    assert "sessionid" not in [cookie["name"] for cookie in page.context.cookies()]


def test_the_page_loads_its_css_from_the_panel_itself(page, live_panel):
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto("/login/", wait_until="load")

    stylesheets = [request for request in requests if request.resource_type == "stylesheet"]
    assert [urlsplit(request.url).path.split("/")[1:3] for request in stylesheets] == [
        ["static", "bootstrap"], ["static", "mailadmin"]]
    assert stylesheets[0].response().status == 200
    panel = urlsplit(live_panel.url).netloc
    elsewhere = [request.url for request in requests
                 if urlsplit(request.url).scheme != "data" and urlsplit(request.url).netloc != panel]
    assert elsewhere == []
    # Bootstrap is applied, not only fetched: its primary button colour.
    button = page.get_by_role("button", name="Sign in")
    assert button.evaluate("element => getComputedStyle(element).backgroundColor") == "rgb(13, 110, 253)"
