"""Bulk actions on the mailbox list in Chromium: a domain admin ticks mailboxes, suspends them,
deletes them after typing their number; a tick whose value was forged to another domain's
mailbox refuses the whole request."""
from domains import services
from domains.audit import Actor
from domains.models import Alias, Mailbox
from tests.browser.conftest import screenshot, sign_in

ACTOR = Actor.command("tests")
PASSWORD = "a mailbox password long enough"


def submit(page, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_a_domain_admin_suspends_and_deletes_ticked_mailboxes(page, domain_admin):
    alpha = services.domain_create(actor=ACTOR, name="bulk-alpha.example")
    beta = services.domain_create(actor=ACTOR, name="bulk-beta.example")
    for name in ("ann", "amy", "abe"):
        services.mailbox_create(actor=ACTOR, domain=alpha, local_part=name, password=PASSWORD)
    bob = services.mailbox_create(actor=ACTOR, domain=beta, local_part="bob", password=PASSWORD)
    sign_in(page, domain_admin("alice", alpha))
    page.goto("/mailboxes/")

    page.get_by_label("Tick ann@bulk-alpha.example").check()
    page.get_by_label("Tick amy@bulk-alpha.example").check()
    page.get_by_label("With the ticked mailboxes").select_option("suspend")
    screenshot(page, "mailbox-bulk")
    submit(page, "Apply to the ticked mailboxes")
    assert page.get_by_text("2 mailboxes suspended.").is_visible()
    assert set(Mailbox.objects.filter(active=False).values_list("email", flat=True)) == {
        "ann@bulk-alpha.example", "amy@bulk-alpha.example"}

    # A tick forged to name bob's mailbox (another domain's): refused, nothing changes.
    page.get_by_label("Tick abe@bulk-alpha.example").evaluate("(box, pk) => { box.value = pk; }", str(bob.pk))
    page.get_by_label("Tick abe@bulk-alpha.example").check()
    page.get_by_label("With the ticked mailboxes").select_option("suspend")
    submit(page, "Apply to the ticked mailboxes")
    assert page.get_by_text("Tick only mailboxes of your domains.").is_visible()
    assert Mailbox.objects.get(pk=bob.pk).active and Mailbox.objects.get(email="abe@bulk-alpha.example").active

    page.get_by_label("Tick ann@bulk-alpha.example").check()
    page.get_by_label("Tick amy@bulk-alpha.example").check()
    page.get_by_label("With the ticked mailboxes").select_option("delete")
    submit(page, "Apply to the ticked mailboxes")
    assert page.get_by_role("heading", name="Delete 2 mailboxes?").is_visible()
    page.get_by_label("Type 2 to delete them").fill("2")
    submit(page, "Delete")
    assert page.get_by_text("2 mailboxes deleted.").is_visible()
    assert sorted(Mailbox.objects.values_list("email", flat=True)) == ["abe@bulk-alpha.example",
                                                                       "bob@bulk-beta.example"]

    # The domain page's alias table: two ticked, deleted after typing 2; a forged tick refused.
    for name in ("sales", "info", "team"):
        services.alias_create(actor=ACTOR, domain=alpha, source=f"{name}@bulk-alpha.example",
                              destinations=["abe@bulk-alpha.example"])
    services.alias_create(actor=ACTOR, domain=beta, source="info@bulk-beta.example",
                          destinations=["bob@bulk-beta.example"])
    page.goto(f"/domains/{alpha.pk}/")
    page.get_by_label("Tick team@bulk-alpha.example").evaluate("box => { box.value = 'info@bulk-beta.example'; }")
    page.get_by_label("Tick team@bulk-alpha.example").check()
    submit(page, "Delete the ticked aliases")
    assert page.get_by_text("Tick only aliases of this domain.").is_visible()
    assert Alias.objects.count() == 4
    page.get_by_label("Tick sales@bulk-alpha.example").check()
    page.get_by_label("Tick info@bulk-alpha.example").check()
    submit(page, "Delete the ticked aliases")
    page.get_by_label("Type 2 to delete them").fill("2")
    submit(page, "Delete")
    assert page.get_by_text("2 aliases deleted.").is_visible()
    assert sorted(Alias.objects.values_list("source", flat=True)) == ["info@bulk-beta.example",
                                                                      "team@bulk-alpha.example"]
