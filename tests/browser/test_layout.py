"""Every page of the panel and of the owners' pages, as each role, at a desktop and a phone width,
each in the system's light and dark mode: nothing is wider than the window (no sideways scrolling),
the page follows the colour mode, axe-core finds no violation of the WCAG 2.0/2.1 A and AA rules,
and a screenshot of each page and view is saved in artifacts/screenshots/
(layout-<role>-<page>-<width>[-dark].png).  Besides the pages a link opens: the pages a form leads
to (a secret shown once, the two-factor step of sign-in, the locked-out page) and the error pages.

One test per role; each view (width, colour mode) gets its own browser context (signed in once)
and walks all of the role's pages, so each page is loaded once per view."""
import datetime

import pytest
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.test import Client, RequestFactory
from django.utils import timezone
from django.views import defaults

from api.services import api_key_create
from domains import dns_records, services
from domains.audit import Actor
from mailadmin import errors
from tests.browser.conftest import TIMEOUT_MS, screenshot
from tests.conftest import PASSWORD
from tests.signin import sign_in_with_second_factor
from webhooks.services import subscription_create

pytestmark = pytest.mark.stack
ACTOR = Actor.command("tests")
# (width, colour mode): each page at a desktop's and a phone's width, in both colour modes.
VIEWS = ((1280, "light"), (1280, "dark"), (390, "light"), (390, "dark"))
HEIGHT = 844
# axe-core from the npm registry (a devDependency): injected into the page by the test, never served.
AXE = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map(v => ({rule: v.id, impact: v.impact,
    targets: v.nodes.map(node => node.target.join(" ")), summary: v.nodes[0].failureSummary}));
}"""
OPEN_MENU = """() => {
  const toggle = document.getElementById("menu-toggle");
  if (!toggle || getComputedStyle(toggle).display === "none") return false;
  toggle.checked = true;
  return true;
}"""
# Long enough to push a table past a phone's width unless the address wraps.
LONG = "a-rather-long-mailbox-name-for-small-screens"
DOMAIN = "dns.example"  # the zone tests.nsd.Nsd serves
ROOT_PASSWORD = "a long superadmin password"


def seed():
    """A domain with mailboxes, a long address, an alias, a deleted mailbox (stored mail), a domain
    admin, an API key and a webhook; returns the objects the page paths need."""
    domain = services.domain_create(actor=ACTOR, name=DOMAIN, description="The layout check's domain")
    services.domain_create(actor=ACTOR, name="second-layout-check.example")
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password=PASSWORD,
                                      display_name="Ann Example")
    services.mailbox_create(actor=ACTOR, domain=domain, local_part=LONG, password=PASSWORD)
    gone = services.mailbox_create(actor=ACTOR, domain=domain, local_part="gone", password=PASSWORD)
    services.mailbox_delete(actor=ACTOR, mailbox=gone)
    alias = f"sales@{domain.name}"
    services.alias_create(actor=ACTOR, domain=domain, source=alias,
                          destinations=[mailbox.email, f"{LONG}@{domain.name}"])
    users = get_user_model()
    root = users.objects.create_superuser("root", password=ROOT_PASSWORD)
    dana = users.objects.create_user("dana", password="a long domain admin password")
    dana.domains.add(domain)
    key, _ = api_key_create(actor=Actor.for_user(root), name="billing system", all_domains=False,
                            domains=[domain], read_only=False, allowed_actions=["mailbox.suspend"],
                            expires=timezone.now() + datetime.timedelta(days=30))
    webhook, _ = subscription_create(actor=Actor.for_user(root), url="https://hooks.example.com/mailadmin",
                                     event_types=["mailbox.created"], description="billing system")
    return {"domain": domain.pk, "mailbox": mailbox.pk, "alias": alias, "root": root, "dana": dana,
            "key": key.pk, "webhook": webhook.pk}


def admin_pages(seeded, superadmin):
    domain, mailbox, alias = seeded["domain"], seeded["mailbox"], seeded["alias"]
    pages = [
        ("domains", "/"),
        ("domain", f"/domains/{domain}/"),
        ("domain-edit", f"/domains/{domain}/edit/"),
        ("dns", f"/domains/{domain}/dns/"),
        ("mailbox-new", f"/domains/{domain}/mailboxes/new/"),
        ("mailbox-new-errors", f"/domains/{domain}/mailboxes/new/", "Create"),
        ("alias-new", f"/domains/{domain}/aliases/new/"),
        ("alias-edit", f"/domains/{domain}/aliases/{alias}/edit/"),
        ("alias-delete", f"/domains/{domain}/aliases/{alias}/delete/"),
        ("mailboxes", "/mailboxes/"),
        ("mailbox-edit", f"/mailboxes/{mailbox}/edit/"),
        ("mailbox-password", f"/mailboxes/{mailbox}/password/"),
        ("mailbox-rename", f"/mailboxes/{mailbox}/rename/"),
        ("mailbox-delete", f"/mailboxes/{mailbox}/delete/"),
        ("stored-mail", "/stored-mail/"),
        ("audit-log", "/audit/"),
        ("two-factor", "/account/two-factor/"),
        ("own-password", "/account/password/"),
    ]
    if not superadmin:
        pages.append(("two-factor-setup", "/account/two-factor/setup/"))
    if superadmin:
        admin = seeded["dana"].pk
        pages += [
            ("domain-new", "/domains/new/"),
            ("domain-delete", f"/domains/{domain}/delete/"),
            ("admins", "/admins/"),
            ("admin-new", "/admins/new/"),
            ("admin-edit", f"/admins/{admin}/edit/"),
            ("admin-password", f"/admins/{admin}/password/"),
            ("admin-delete", f"/admins/{admin}/delete/"),
            ("api-keys", "/api-keys/"),
            ("api-key-new", "/api-keys/new/"),
            ("api-key-revoke", f"/api-keys/{seeded['key']}/revoke/"),
            ("webhooks", "/webhooks/"),
            ("webhook-new", "/webhooks/new/"),
            ("webhook-delete", f"/webhooks/{seeded['webhook']}/delete/"),
            ("status", "/status/"),
            # The pages that show a secret once, and the error pages.
            ("api-key-created", "/api-keys/new/",
             form_sent("Create", fill={"#id_name": "layout check"}, tick=["All domains (also creates domains)"])),
            ("webhook-created", "/webhooks/new/",
             form_sent("Create", fill={"#id_url": "https://hooks.example.com/layout"}, tick=["mailbox.created"])),
            ("recovery-codes", "/account/two-factor/", form_sent("Make new recovery codes")),
            # More fields than Django reads (DATA_UPLOAD_MAX_NUMBER_FIELDS): its 400 handler answers.
            ("bad-request", "/mailboxes/?" + "a&" * (settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1), None, 400),
            ("form-expired", "/domains/new/", form_sent("Create domain", stale_token=True), 403),
            ("not-found", "/no-such-page/", None, 404),
            ("forbidden", "/forbidden/", served(defaults.permission_denied, PermissionDenied()), 403),
            ("server-error", "/server-error/", served(errors.server_error, raising=RuntimeError), 500),
            ("unavailable", "/unavailable/", served(errors.server_error, raising=DatabaseError), 503),
        ]
    return pages


def form_sent(button, fill=None, tick=(), stale_token=False):
    """How to reach a page: open the path, fill in its form (`fill`: {selector: text}, `tick`: labels
    of boxes), with `stale_token` a CSRF token that is no longer valid, and press `button`."""
    def reach(page, path):
        response = page.goto(path)
        if response.status != 200:
            return response
        for selector, text in (fill or {}).items():
            page.locator(selector).fill(text)
        for label in tick:
            page.get_by_label(label, exact=True).check()
        press = page.get_by_role("button", name=button, exact=True)
        if stale_token:
            press.evaluate("button => { button.form.elements.csrfmiddlewaretoken.value = 'x'.repeat(64); }")
        with page.expect_navigation() as navigation:
            press.click()
        return navigation.value
    return reach


def served(handler, *arguments, raising=None):
    """How to reach the error pages that no page of the panel is made to answer: Django's error
    `handler` renders its page here (while `raising` is being handled, for the 500 handler) and the
    browser gets it in place of the panel's answer, with the panel's styles and scripts."""
    def reach(page, path):
        request = RequestFactory().get(path)
        try:
            raise (raising or RuntimeError)("raised for the error page")
        except Exception:
            response = handler(request, *arguments)
        page.route(f"**{path}", lambda route: route.fulfill(status=response.status_code, body=response.content,
                                                           content_type=response["Content-Type"]))
        try:
            return page.goto(path)
        finally:
            page.unroute(f"**{path}")
    return reach


OWNER_PAGES = [
    ("home", "/me/"),
    ("password", "/me/password/"),
    ("spam", "/me/spam/"),
    ("auto-reply", "/me/auto-reply/"),
    ("forwarding", "/me/forwarding/"),
]


def session_cookie(user, live_panel):
    """The session cookie of `user` signed in past the second factor, as after a real sign-in
    (the sign-in form itself has its own tests; a code is good only once)."""
    client = Client()
    sign_in_with_second_factor(client, user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_panel.url}


def check_page(page, role, name, path, view, then=None, status=200) -> list[str]:
    """Loads `path`, then with `then`: a button's name, sends its form unfilled (to check the page
    showing the form's errors), or a function(page, path) that loads the page and goes on from
    there (see form_sent); returns what is wrong with the page it ends on (empty if nothing), which
    must answer `status`; saves its screenshot."""
    width, mode = view
    reach = form_sent(then) if isinstance(then, str) else then or (lambda page, path: page.goto(path))
    response = reach(page, path)
    where = f"{role} {name} ({path[:40]}) at {width} px, {mode}"
    if response.status != status:
        return [f"{where}: answered {response.status}"]
    screenshot(page, f"layout-{role}-{name}-{width}" + ("-dark" if mode == "dark" else ""))
    problems = overflow(page, where)
    shown = page.evaluate("document.documentElement.getAttribute('data-bs-theme') || 'light'")
    if shown != mode:
        problems.append(f"{where}: shown in {shown} mode")
    # A narrow window's menu is folded; open it, so that its links are measured and checked too.
    if page.evaluate(OPEN_MENU):
        problems += overflow(page, f"{where}, menu open")
    return problems + accessibility_violations(page, where)


def locked_out(page, path):
    """Wrong passwords at the sign-in form until it locks (django-axes' limit)."""
    page.goto(path)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("Username").fill("nobody")
        page.get_by_label("Password").fill("a wrong password")
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Sign in").click()
        if navigation.value.status != 200:
            break
    return navigation.value


def overflow(page, where) -> list[str]:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    inner_width = page.evaluate("window.innerWidth")
    if scroll_width > inner_width:
        return [f"{where}: the page is {scroll_width} px wide, the window {inner_width} px"]
    return []


def accessibility_violations(page, where) -> list[str]:
    """axe-core's findings on the page (axe is injected by `walk`, into every page of its context)."""
    return [f"{where}: {violation['rule']} ({violation['impact']}) at {', '.join(violation['targets'])}: "
            f"{violation['summary']}" for violation in page.evaluate(AXE_RUN, AXE_TAGS)]


def walk(browser, live_panel, role, pages, sign_in) -> list[str]:
    """Each view (width, colour mode) in its own context: `sign_in(page, view)` once, then every
    page of `pages`."""
    problems = []
    for view in VIEWS:
        width, mode = view
        context = browser.new_context(base_url=live_panel.url, viewport={"width": width, "height": HEIGHT},
                                      color_scheme=mode)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(AXE))
        try:
            page = context.new_page()
            problems += sign_in(page, view)
            for name, path, *then in pages:
                problems += check_page(page, role, name, path, view, *then)
        finally:
            context.close()
    return problems


def publish(nsd, domain_pk):
    """The seeded domain's records in DNS, so that its DNS page gets answers (not timeouts)."""
    from domains.models import Domain

    nsd.serve(dns_records.expected(Domain.objects.get(pk=domain_pk)))


def test_the_superadmins_pages_fit_the_window(browser, live_panel, transactional_db, nsd):
    seeded = seed()
    publish(nsd, seeded["domain"])

    def sign_in(page, view):
        cookie = session_cookie(seeded["root"], live_panel)  # root now has an authenticator app
        problems = check_page(page, "superadmin", "login", "/login/", view)
        problems += check_page(page, "superadmin", "locked-out", "/login/", view, locked_out, 429)
        axes_reset()  # the client address is locked too
        problems += check_page(page, "superadmin", "two-factor-verify", "/login/", view,
                               form_sent("Sign in", fill={"#id_username": "root", "#id_password": ROOT_PASSWORD}))
        problems += check_page(page, "superadmin", "two-factor-verify-errors", "/account/two-factor/verify/", view,
                               form_sent("Continue", fill={"#id_code": "wrong"}))
        page.context.clear_cookies()
        page.context.add_cookies([cookie])
        return problems

    problems = walk(browser, live_panel, "superadmin", admin_pages(seeded, superadmin=True), sign_in)
    assert not problems, "\n".join(problems)


def test_the_domain_admins_pages_fit_the_window(browser, live_panel, transactional_db, nsd):
    seeded = seed()
    publish(nsd, seeded["domain"])

    def sign_in(page, view):
        page.context.add_cookies([session_cookie(seeded["dana"], live_panel)])
        return []

    problems = walk(browser, live_panel, "domain-admin", admin_pages(seeded, superadmin=False), sign_in)
    assert not problems, "\n".join(problems)


def test_the_owners_pages_fit_the_window(browser, live_panel, transactional_db):
    seed()

    def sign_in(page, view):
        problems = check_page(page, "owner", "login", "/me/login/", view)
        page.get_by_label("Email address").fill(f"{LONG}@{DOMAIN}")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        return problems

    problems = walk(browser, live_panel, "owner", OWNER_PAGES, sign_in)
    assert not problems, "\n".join(problems)


def test_on_a_phone_the_menu_opens_without_javascript(browser, live_panel, transactional_db):
    seed()
    context = browser.new_context(base_url=live_panel.url, viewport={"width": 390, "height": HEIGHT},
                                  java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/me/login/")
        page.get_by_label("Email address").fill(f"ann@{DOMAIN}")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        forwarding = page.get_by_role("link", name="Forwarding", exact=True)
        assert not forwarding.is_visible() and not page.get_by_role("button", name="Sign out").is_visible()

        page.get_by_role("checkbox", name="Menu").focus()
        page.keyboard.press("Space")
        assert forwarding.is_visible() and page.get_by_role("button", name="Sign out").is_visible()
        screenshot(page, "layout-owner-menu-open-390")
        forwarding.click()
        assert page.get_by_role("heading", name="Forwarding").is_visible()
    finally:
        context.close()
