"""The domain admins' panel: every view is scoped to the caller's domains (404 and nothing
changed outside them), forms refuse what the services refuse, and stored text is escaped."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from domains import services
from domains.audit import Actor
from domains.models import Alias, AuditEntry, Domain, Mailbox

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")
PASSWORD = "correct horse battery staple"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def world():
    alpha = services.domain_create(actor=ACTOR, name="alpha.example")
    beta = services.domain_create(actor=ACTOR, name="beta.example", description=XSS)
    services.mailbox_create(actor=ACTOR, domain=alpha, local_part="ann", password=PASSWORD)
    bob = services.mailbox_create(actor=ACTOR, domain=beta, local_part="bob", password=PASSWORD)
    services.alias_create(actor=ACTOR, domain=beta, source="team@beta.example", destinations=["bob@beta.example"])
    alice = get_user_model().objects.create_user("alice", password="a long enough password")
    alice.domains.add(alpha)
    return {"alpha": alpha, "beta": beta, "bob": bob, "alice": alice}


@pytest.fixture
def alice_client(world):
    client = Client()
    client.force_login(world["alice"])
    return client


def snapshot():
    return (list(Domain.objects.order_by("pk").values()), list(Mailbox.objects.order_by("pk").values()),
            list(Alias.objects.order_by("pk").values()))


def foreign_urls(world):
    beta, bob = world["beta"].pk, world["bob"].pk
    return [
        f"/domains/{beta}/", f"/domains/{beta}/edit/", f"/domains/{beta}/delete/",
        f"/domains/{beta}/mailboxes/new/", f"/domains/{beta}/aliases/new/",
        f"/domains/{beta}/aliases/team@beta.example/edit/", f"/domains/{beta}/aliases/team@beta.example/delete/",
        f"/mailboxes/{bob}/edit/", f"/mailboxes/{bob}/password/", f"/mailboxes/{bob}/delete/",
        # what only superadmins may do, even on the admin's own domain
        "/domains/new/", f"/domains/{world['alpha'].pk}/delete/",
    ]


def test_every_view_answers_404_outside_the_admins_domains_and_changes_nothing(world, alice_client):
    before = snapshot()
    body = {"local_part": "evil", "password": "a long enough password 1", "confirm": "a long enough password 1",
            "destinations": "evil@attacker.example", "description": "owned", "confirm_name": "beta.example",
            "name": "new.example", "active": "", "max_mailboxes": 0, "max_aliases": 0, "default_quota": 0,
            "max_quota": 0}
    for url in foreign_urls(world):
        assert alice_client.get(url).status_code == 404, url
        assert alice_client.post(url, body).status_code == 404, url
    assert snapshot() == before


def test_lists_and_audit_log_show_only_the_admins_domains(world, alice_client):
    for url in ("/", "/mailboxes/", "/audit/", "/mailboxes/?q=bob"):
        page = alice_client.get(url).content.decode()
        assert "beta.example" not in page, url
    assert "ann@alpha.example" in alice_client.get("/mailboxes/").content.decode()
    assert "alpha.example" in alice_client.get("/audit/").content.decode()


def test_a_domain_admin_creates_a_mailbox_and_an_alias_in_their_domain(world, alice_client):
    alpha = world["alpha"]
    response = alice_client.post(f"/domains/{alpha.pk}/mailboxes/new/", {
        "local_part": "Carol", "password": "a long enough password 1", "quota": "100", "active": "on"})
    assert response.status_code == 302
    carol = Mailbox.objects.get(email="carol@alpha.example")
    assert carol.quota == 100 * 2**20 and carol.active
    response = alice_client.post(f"/domains/{alpha.pk}/aliases/new/", {
        "local_part": "team", "destinations": "carol@alpha.example\nfriend@elsewhere.example"})
    assert response.status_code == 302
    assert set(Alias.objects.filter(source="team@alpha.example").values_list("destination", flat=True)) == {
        "carol@alpha.example", "friend@elsewhere.example"}
    entry = AuditEntry.objects.get(action="mailbox.create", object_repr="carol@alpha.example")
    assert entry.actor == world["alice"] and entry.source_ip == "127.0.0.1"


@pytest.mark.parametrize("local_part", ["x@beta.example", "postmaster@beta.example", "", "a,b", XSS])
def test_addresses_outside_the_domain_or_malformed_are_refused(world, alice_client, local_part):
    before = snapshot()
    alpha = world["alpha"]
    response = alice_client.post(f"/domains/{alpha.pk}/mailboxes/new/",
                                 {"local_part": local_part, "password": "a long enough password 1"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode() or "alert" in \
        response.content.decode()
    response = alice_client.post(f"/domains/{alpha.pk}/aliases/new/",
                                 {"local_part": local_part or "x", "destinations": "a@x.org, b@x.org"})
    assert response.status_code == 200
    assert snapshot() == before


def test_mass_assignment_of_limits_and_state_is_ignored_for_domain_admins(world, alice_client):
    alpha = world["alpha"]
    alice_client.post(f"/domains/{alpha.pk}/edit/", {
        "description": "ours", "default_quota": "10", "max_mailboxes": "999", "max_quota": "1", "active": "",
        "name": "hijack.example", "domains": world["beta"].pk, "is_superuser": "on"})
    alpha.refresh_from_db()
    assert (alpha.description, alpha.default_quota, alpha.max_mailboxes, alpha.active, alpha.name) == (
        "ours", 10 * 2**20, 0, True, "alpha.example")
    world["alice"].refresh_from_db()
    assert not world["alice"].is_superuser and list(world["alice"].domains.all()) == [alpha]


def test_state_changes_need_post_and_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["alice"])
    ann = Mailbox.objects.get(email="ann@alpha.example")
    assert client.get(f"/mailboxes/{ann.pk}/delete/").status_code == 200
    assert client.post(f"/mailboxes/{ann.pk}/delete/").status_code == 403
    assert Mailbox.objects.filter(pk=ann.pk).exists()


def test_stored_text_comes_back_escaped(world, admin_client):
    for url in ("/", f"/domains/{world['beta'].pk}/", "/audit/"):
        page = admin_client.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, url


def test_superadmin_creates_a_domain_with_its_role_addresses(admin_client):
    response = admin_client.post("/domains/new/", {
        "name": "Neu-Bücher.Example", "max_mailboxes": 5, "max_aliases": 0, "default_quota": 0, "max_quota": 0,
        "quota_total": 0,
        "active": "on", "role_aliases_to": "hostmaster@provider.example"})
    assert response.status_code == 302
    domain = Domain.objects.get(name="xn--neu-bcher-u9a.example")
    assert sorted(domain.aliases.values_list("source", "destination")) == [
        ("abuse@xn--neu-bcher-u9a.example", "hostmaster@provider.example"),
        ("postmaster@xn--neu-bcher-u9a.example", "hostmaster@provider.example")]
    page = admin_client.get(f"/domains/{domain.pk}/").content.decode()
    assert "neu-bücher.example" in page and "_dmarc.xn--neu-bcher-u9a.example." in page


def test_deleting_a_domain_needs_its_name_typed(world, admin_client):
    beta = world["beta"]
    page = admin_client.get(f"/domains/{beta.pk}/delete/").content.decode()
    assert "<strong>1</strong> mailbox" in page
    admin_client.post(f"/domains/{beta.pk}/delete/", {"confirm_name": "alpha.example"})
    assert Domain.objects.filter(pk=beta.pk).exists()
    assert admin_client.post(f"/domains/{beta.pk}/delete/", {"confirm_name": "Beta.Example"}).status_code == 302
    assert not Domain.objects.filter(pk=beta.pk).exists()
    assert not Mailbox.objects.filter(email="bob@beta.example").exists()


def test_alias_edit_replaces_destinations_and_delete_removes_the_alias(world, admin_client):
    beta = world["beta"]
    admin_client.post(f"/domains/{beta.pk}/aliases/team@beta.example/edit/",
                      {"destinations": "bob@beta.example\nnew@beta.example"})
    assert sorted(Alias.objects.filter(source="team@beta.example").values_list("destination", flat=True)) == [
        "bob@beta.example", "new@beta.example"]
    admin_client.post(f"/domains/{beta.pk}/aliases/team@beta.example/delete/")
    assert not Alias.objects.filter(source="team@beta.example").exists()


def test_search_matches_metacharacters_literally(world, admin_client):
    alpha = world["alpha"]
    for local_part in ("a_b", "axb", "a-b"):
        services.mailbox_create(actor=ACTOR, domain=alpha, local_part=local_part, password_hash="{SHA512-CRYPT}$6$x$y")
    page = admin_client.get("/mailboxes/", {"q": "a_"}).content.decode()
    assert "a_b@alpha.example" in page and "axb@alpha.example" not in page
    page = admin_client.get("/mailboxes/", {"q": "%' OR 1=1 -- "}).content.decode()
    assert "No mailboxes match" in page


def test_mailbox_list_queries_do_not_grow_with_rows(world, admin_client):
    def queries_for_page():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get("/mailboxes/").status_code == 200
        return len(captured)

    few = queries_for_page()
    for number in range(30):
        services.mailbox_create(actor=ACTOR, domain=world["alpha"], local_part=f"user{number}",
                                password_hash="{SHA512-CRYPT}$6$x$y")
    assert queries_for_page() == few


def test_storage_bars_show_what_dovecot_reported(world, admin_client):
    from domains.models import MailboxUsage

    alpha = world["alpha"]
    services.mailbox_update(actor=ACTOR, mailbox=Mailbox.objects.get(email="ann@alpha.example"), quota=100 * 2**20)
    MailboxUsage.objects.create(username="ann@alpha.example", bytes=80 * 2**20, messages=3)
    detail = admin_client.get(f"/domains/{alpha.pk}/").content.decode()
    assert "80.0\xa0MB of 100.0\xa0MB" in detail and 'style="width: 80%"' in detail and "bg-warning" in detail
    listing = admin_client.get("/").content.decode()
    assert "80.0\xa0MB of 100.0\xa0MB" in listing


def test_rename_through_the_panel_keeps_the_folder(world, alice_client):
    ann = Mailbox.objects.get(email="ann@alpha.example")
    response = alice_client.post(f"/mailboxes/{ann.pk}/rename/", {"local_part": "anna"})
    assert response.status_code == 302
    ann.refresh_from_db()
    assert (ann.email, ann.maildir) == ("anna@alpha.example", "alpha.example/ann")
    bob = world["bob"]
    assert alice_client.post(f"/mailboxes/{bob.pk}/rename/", {"local_part": "robert"}).status_code == 404
    assert Mailbox.objects.filter(email="bob@beta.example").exists()


def test_stored_mail_is_listed_and_restored_only_within_the_admins_domains(world, alice_client):
    from domains.models import MailStoreJob

    beta_job = services.mailbox_delete(actor=ACTOR, mailbox=world["bob"])
    ann = Mailbox.objects.get(email="ann@alpha.example")
    alpha_job = services.mailbox_delete(actor=ACTOR, mailbox=ann)
    page = alice_client.get("/stored-mail/").content.decode()
    assert "ann@alpha.example" in page and "bob@beta.example" not in page
    services.mailbox_create(actor=ACTOR, domain=world["beta"], local_part="bob", password=PASSWORD)
    assert alice_client.post(f"/stored-mail/{beta_job.pk}/restore/").status_code == 404
    assert alice_client.get(f"/stored-mail/{alpha_job.pk}/restore/").status_code == 405
    assert not MailStoreJob.objects.filter(action=MailStoreJob.RESTORE).exists()


def test_deleting_a_domain_tells_what_goes_and_records_the_archive(world, admin_client):
    from domains.models import MailboxUsage, MailStoreJob

    beta = world["beta"]
    MailboxUsage.objects.create(username="bob@beta.example", bytes=3 * 2**20, messages=2)
    page = admin_client.get(f"/domains/{beta.pk}/delete/").content.decode()
    assert "<strong>3.0\xa0MB</strong>" in page and "kept for 30 days" in page
    admin_client.post(f"/domains/{beta.pk}/delete/", {"confirm_name": "beta.example"})
    job = MailStoreJob.objects.get(domain_name="beta.example")
    assert (job.action, job.path, job.state) == ("archive", "beta.example", "pending")


def test_a_post_from_a_foreign_origin_is_refused_even_with_a_valid_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["alice"])
    ann = Mailbox.objects.get(email="ann@alpha.example")
    client.get(f"/mailboxes/{ann.pk}/delete/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/mailboxes/{ann.pk}/delete/", {"csrfmiddlewaretoken": token},
                           HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 403
    assert Mailbox.objects.filter(pk=ann.pk).exists()
    response = client.post(f"/mailboxes/{ann.pk}/delete/", {"csrfmiddlewaretoken": token},
                           HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302 and not Mailbox.objects.filter(pk=ann.pk).exists()


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_audit_rows_record_the_client_address_as_the_sign_in_lockout_sees_it(world, alice_client, settings,
                                                                             proxies, recorded):
    settings.MAILADMIN_TRUSTED_PROXY_COUNT = proxies
    alice_client.post(f"/domains/{world['alpha'].pk}/mailboxes/new/",
                      {"local_part": "dora", "password": "a long enough password 1"},
                      HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert AuditEntry.objects.get(action="mailbox.create", object_repr="dora@alpha.example").source_ip == recorded


# Every list of the panel and the API, with every query parameter it reads.
PANEL_LISTS = {
    "/": ("q", "page"),
    "/domains/{domain}/": ("q", "page", "after", "before"),
    "/mailboxes/": ("q", "page", "after", "before"),
    "/audit/": ("domain", "actor", "since", "until", "page"),
    "/stored-mail/": ("page",),
    "/admins/": ("page",),
    "/api-keys/": ("page",),
    "/webhooks/": ("page",),
}
PAGED = ("cursor", "page_size", "ordering")
API_LISTS = {
    "/api/v1/domains/": ("active", "prefix", *PAGED),
    "/api/v1/usage/": ("active", "prefix", *PAGED),
    "/api/v1/mailboxes/": ("domain", "active", "prefix", *PAGED),
    "/api/v1/aliases/": ("domain", "prefix", *PAGED),
    "/api/v1/domains/{name}/usage/mailboxes/": PAGED,
}
MALFORMED = ["abc", "99999999999999999999", "-1", "0", "-99999999999999999999", "1e400", "NaN", "2024-13-45",
             "2024-02-30", "99999-01-01", "\x00", "a\x00b", "x" * 5000, "é" * 300, ["1", "2"], "", "%", "' OR 1=1 --",
             "\u202e", "true\x00"]


@pytest.mark.parametrize(("path", "parameter"), [
    (path, parameter) for lists in (PANEL_LISTS, API_LISTS) for path, parameters in lists.items()
    for parameter in parameters])
def test_malformed_filter_values_get_a_400_or_are_ignored_never_a_500(world, admin_client, settings, path,
                                                                      parameter):
    from api.services import api_key_create

    settings.MAILADMIN_API_RATE = ""
    services.mailbox_delete(actor=ACTOR, mailbox=world["bob"])  # something on the stored-mail page
    _key, plaintext = api_key_create(actor=ACTOR, name="everything", all_domains=True, domains=[], read_only=False,
                                     allowed_actions=[], expires=None)
    admin_client.raise_request_exception = False
    path = path.format(domain=world["alpha"].pk, name=world["alpha"].name)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"} if path.startswith("/api/") else {}
    answers = {repr(value)[:40]: admin_client.get(path, {parameter: value}, **headers).status_code
               for value in MALFORMED}
    assert {value: status for value, status in answers.items() if status not in (200, 400)} == {}


def test_an_unreadable_audit_date_is_named_and_ignored_and_a_good_one_filters(world, admin_client):
    response = admin_client.get("/audit/", {"since": "abc", "domain": "beta.example"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ignored, as it could not be read" in page and "<strong>since</strong>" in page
    assert "team@beta.example" in page  # the other filters still hold
    assert "ann@alpha.example" not in page
    future = admin_client.get("/audit/", {"since": "2999-01-01"})
    assert future.status_code == 200 and "Nothing recorded for this filter" in future.content.decode()
    assert 'value="2999-01-01"' in future.content.decode()


def test_a_domain_admin_is_offered_neither_limits_nor_the_owners_spam_range(world, alice_client):
    alpha = world["alpha"]
    page = alice_client.get(f"/domains/{alpha.pk}/edit/").content.decode()
    assert 'name="spam_threshold"' in page and 'name="default_quota"' in page
    for field in ("max_mailboxes", "max_aliases", "max_quota", "quota_total", "user_spam_threshold_min",
                  "user_spam_threshold_max", "active"):
        assert f'name="{field}"' not in page, field
    alice_client.post(f"/domains/{alpha.pk}/edit/", {
        "description": "ours", "default_quota": "10", "spam_threshold": "", "user_spam_threshold_min": "0.0",
        "user_spam_threshold_max": "999.0", "quota_total": "1"})
    alpha.refresh_from_db()
    assert (alpha.description, str(alpha.user_spam_threshold_min), str(alpha.user_spam_threshold_max),
            alpha.quota_total) == ("ours", "1.0", "10.0", 0)
