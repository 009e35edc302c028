"""Import and export in Chromium, as a domain admin: a file with problems is checked and its
preview lists them by line while nothing changes; a file naming another domain's mailbox is
refused in the preview; a good file is checked, confirmed, imported by the test stack's own
mail-store worker and its mailboxes are in the list; the domain's export is downloaded and holds
them."""
import time

from domains import services
from domains.audit import Actor
from domains.models import Alias, AuditEntry, ImportJob, Mailbox
from domains.transfer.jobs import import_folder
from tests.browser.conftest import screenshot, sign_in

ACTOR = Actor.command("tests")
HEADER = "kind,address,destinations,password\n"
WITH_PROBLEMS = HEADER + ("mailbox,ann@xfer-alpha.example,,a long enough password\n"
                          "mailbox,not an address,,a long enough password\n"
                          "alias,info@xfer-alpha.example,,\n")
FORGED = HEADER + ("mailbox,ann@xfer-alpha.example,,a long enough password\n"
                   "mailbox,eve@xfer-beta.example,,a long enough password\n")
GOOD = HEADER + ("mailbox,ann@xfer-alpha.example,,a long enough password\n"
                 "mailbox,amy@xfer-alpha.example,,a long enough password\n"
                 "alias,info@xfer-alpha.example,ann@xfer-alpha.example amy@xfer-alpha.example,\n")


def upload(page, name, content):
    page.goto("/transfer/")
    page.get_by_label("CSV or JSON file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}])
    with page.expect_navigation():
        page.get_by_role("button", name="Check the file").click()


def worker_runs(page):
    """The page refreshes itself while the worker has the job; once it is done, the outcome shows."""
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    job = ImportJob.objects.latest("id")
    deadline = time.monotonic() + 20
    while job.state in (ImportJob.PENDING, ImportJob.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    page.reload()


def test_a_domain_admin_checks_imports_and_exports_a_file(page, domain_admin):
    alpha = services.domain_create(actor=ACTOR, name="xfer-alpha.example")
    services.domain_create(actor=ACTOR, name="xfer-beta.example")
    sign_in(page, domain_admin("alice", alpha))

    upload(page, "problems.csv", WITH_PROBLEMS)
    worker_runs(page)
    assert page.get_by_text("2 problems: nothing was imported.").is_visible()
    assert page.get_by_role("row", name="3").is_visible() and page.get_by_role("row", name="4").is_visible()
    screenshot(page, "import-problems")
    assert not Mailbox.objects.exists() and not list(import_folder().iterdir())

    upload(page, "forged.csv", FORGED)
    worker_runs(page)
    assert page.get_by_role("row", name="3 xfer-beta.example is not one of your domains.").is_visible()
    assert not Mailbox.objects.exists()

    upload(page, "good.csv", GOOD)
    worker_runs(page)
    assert page.get_by_text("No problems: 0 domains, 2 mailboxes and 1 aliases will be imported.").is_visible()
    assert not Mailbox.objects.exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Import now").click()
    worker_runs(page)
    assert page.get_by_text("Imported 0 domains, 2 mailboxes and 1 aliases.").is_visible()
    assert not list(import_folder().iterdir())
    page.goto("/mailboxes/")
    assert page.get_by_text("amy@xfer-alpha.example").is_visible()
    assert Alias.objects.filter(source="info@xfer-alpha.example").count() == 2
    assert set(AuditEntry.objects.filter(actor_label="alice").values_list("action", flat=True)) == {
        "mailbox.create", "alias.create"}

    page.goto("/transfer/")
    page.get_by_label("Domain").select_option(label="xfer-alpha.example")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "xfer-alpha.example.csv"
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["mailbox", "amy@xfer-alpha.example", ""], ["mailbox", "ann@xfer-alpha.example", ""],
        ["alias", "info@xfer-alpha.example", "amy@xfer-alpha.example ann@xfer-alpha.example"]]
