"""Every page of the panel and of the owners' self-service, found from the URL configuration so
that a new page is swept too: a GET changes nothing, and a POST without a CSRF token, or with a
token but from a foreign Origin, is refused (403) and changes nothing.  The API (bearer keys),
Roundcube's endpoint (a shared secret) and Outlook's Autodiscover (answers, changes nothing) do
not use cookies and are tested in their own files."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from api.models import ApiKey
from api.services import api_key_create
from domains import services
from domains.audit import Actor
from domains.models import Alias, AuditEntry, Domain, ImportJob, Mailbox, MailStoreJob
from webhooks.models import Subscription
from webhooks.services import subscription_create

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")
PASSWORD = "a long enough password 1"
WITHOUT_COOKIES = ("api/v1/", "roundcube/", "[Aa]utodiscover/")


def page_routes(resolver=None, prefix=""):
    """(route, url name) of every page, with the routes' parameters as `<name>`."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern).lstrip("^").rstrip("$").replace("/?", "/")
        if isinstance(entry, URLResolver):
            yield from page_routes(entry, route)
        elif isinstance(entry, URLPattern) and not route.startswith(WITHOUT_COOKIES):
            yield route, entry.name


@pytest.fixture
def world(admin_user):
    domain = services.domain_create(actor=ACTOR, name="sweep.example")
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password=PASSWORD)
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="gone", password=PASSWORD)
    services.alias_create(actor=ACTOR, domain=domain, source="team@sweep.example", destinations=["ann@sweep.example"])
    job = services.mailbox_delete(actor=ACTOR, mailbox=Mailbox.objects.get(email="gone@sweep.example"))
    other_admin = get_user_model().objects.create_user("dora", password=PASSWORD)
    key, _ = api_key_create(actor=ACTOR, name="billing", all_domains=True, domains=[], read_only=False,
                            allowed_actions=[], expires=None)
    webhook, _secret = subscription_create(actor=ACTOR, url="http://127.0.0.1:9/hook", event_types=["domain.created"])
    upload = ImportJob.objects.create(requested_by=admin_user, actor_label="admin", file_name="mail.csv",
                                      file_format="csv", stored_as="none.csv", state=ImportJob.DONE)
    return {"domain": domain, "mailbox": mailbox, "job": job, "admin": other_admin, "key": key, "webhook": webhook,
            "import": upload}


def url_of(route, name, world):
    """The route with its parameters filled from the world's rows (the page's own kind of row)."""
    kind = "api_key" if name.startswith("api_key") else name.split("_")[0]
    pk = {"admin": world["admin"], "api_key": world["key"], "mailstore": world["job"], "mailbox": world["mailbox"],
          "domain": world["domain"], "webhook": world["webhook"], "import": world["import"]}.get(kind)
    return "/" + (route.replace("<int:pk>", str(getattr(pk, "pk", "")))
                  .replace("<int:domain_pk>", str(world["domain"].pk)).replace("<str:source>", "team@sweep.example"))


def state():
    return (list(Domain.objects.order_by("pk").values()), list(Mailbox.objects.order_by("pk").values()),
            list(Alias.objects.order_by("pk").values()), AuditEntry.objects.count(),
            list(MailStoreJob.objects.order_by("pk").values("pk", "action", "state")),
            list(ImportJob.objects.order_by("pk").values("pk", "stage", "state")),
            list(ApiKey.objects.order_by("pk").values("pk", "revoked")),
            list(Subscription.objects.order_by("pk").values("pk", "url", "active")),
            list(get_user_model().objects.order_by("pk").values("pk", "password", "is_active", "is_superuser")))


def panel_client(admin_user):
    from tests.signin import sign_in_with_second_factor

    client = Client(enforce_csrf_checks=True)
    return sign_in_with_second_factor(client, admin_user)


def test_every_page_is_found():
    names = {name for _route, name in page_routes()}
    assert {"mailbox_delete", "domain_delete", "admin_password", "api_key_revoke", "mailstore_restore",
            "selfservice_password", "own_password"} <= names


def test_a_get_changes_nothing_on_any_page(world, admin_user, settings):
    settings.MAILADMIN_METRICS_ADDRESSES = ["127.0.0.1/32"]  # /metrics answers the sweep, as it does a scraper
    client = panel_client(admin_user)
    before = state()
    for route, name in page_routes():
        if name in ("logout", "selfservice_logout"):
            continue  # sign-out is a POST; its GET is tested to answer 405 elsewhere
        response = client.get(url_of(route, name, world))
        assert response.status_code in (200, 302, 404, 405), (route, response.status_code)
    assert state() == before


def test_a_post_without_a_token_or_from_a_foreign_origin_is_refused_on_every_page(world, admin_user):
    client = panel_client(admin_user)
    client.get("/")  # the CSRF cookie
    token = client.cookies["csrftoken"].value
    body = {"local_part": "evil", "password": PASSWORD, "confirm": PASSWORD, "current_password": "password",
            "destinations": "evil@attacker.example", "confirm_name": "sweep.example", "name": "evil.example",
            "username": "evil", "address": "ann@sweep.example", "new_address": "evil@sweep.example"}
    before = state()
    for route, name in page_routes():
        url = url_of(route, name, world)
        assert client.post(url, body).status_code == 403, (route, "no token")
        foreign = client.post(url, {**body, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://evil.example")
        assert foreign.status_code == 403, (route, "foreign origin")
    assert state() == before
