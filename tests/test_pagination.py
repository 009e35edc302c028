"""Paging through long lists as a user does: by the Next and Previous links.  Mailbox lists are
paged by address (`?after=` / `?before=`), so that a page is as quick at a million mailboxes as at
ten; every mailbox still appears once, in order, and a search stays a search from page to page."""
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from domains import services
from domains.audit import Actor
from domains.models import Mailbox
from mailadmin import view_helpers

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")
HASH = "{SHA512-CRYPT}$6$x$y"
PAGE = 5


@pytest.fixture(autouse=True)
def small_pages(monkeypatch):
    monkeypatch.setattr(view_helpers, "PAGE_SIZE", PAGE)


@pytest.fixture
def domains():
    alpha = services.domain_create(actor=ACTOR, name="alpha.example")
    beta = services.domain_create(actor=ACTOR, name="beta.example")
    for number in range(12):
        for domain in (alpha, beta):
            services.mailbox_create(actor=ACTOR, domain=domain, local_part=f"user{number:02d}", password_hash=HASH)
    services.mailbox_create(actor=ACTOR, domain=alpha, local_part="zed", password_hash=HASH)
    return alpha, beta


def addresses(page: str) -> list[str]:
    return re.findall(r"<td>(?:<label[^>]*>)?([^<@\s]+@[^<\s]+)(?:</label>)?</td>", page)


def link(page: str, label: str) -> str | None:
    found = re.search(rf'<a class="page-link" href="([^"]*)">{label}</a>', page)
    return html.unescape(found.group(1)) if found else None


def walk(client, path: str, first_url: str, label: str = "Next") -> list[list[str]]:
    """The addresses of each page, following `label` links from first_url until there is none."""
    pages, url = [], first_url
    while url is not None:
        response = client.get(path + url if url.startswith("?") else url)
        assert response.status_code == 200
        page = response.content.decode()
        pages.append(addresses(page))
        url = link(page, label)
        assert len(pages) < 20, "the links go round in circles"
    return pages


def test_next_links_show_every_mailbox_once_in_order(domains, admin_client):
    pages = walk(admin_client, "/mailboxes/", "/mailboxes/")
    shown = [address for page in pages for address in page]
    assert shown == sorted(Mailbox.objects.values_list("email", flat=True))
    assert [len(page) for page in pages] == [PAGE] * 5
    assert "after=" in link(admin_client.get("/mailboxes/").content.decode(), "Next")


def test_previous_links_walk_back_through_the_same_pages(domains, admin_client):
    forward = walk(admin_client, "/mailboxes/", "/mailboxes/")
    last_page = admin_client.get("/mailboxes/", {"after": forward[-2][-1]}).content.decode()
    assert addresses(last_page) == forward[-1] and link(last_page, "Next") is None
    backward = walk(admin_client, "/mailboxes/", link(last_page, "Previous"), label="Previous")
    assert backward == forward[-2::-1]
    first_page = admin_client.get("/mailboxes/").content.decode()
    assert link(first_page, "Previous") is None and link(first_page, "First") is None
    assert link(last_page, "First") == "?"


def test_the_total_is_shown_and_capped(domains, admin_client, monkeypatch):
    assert "25 mailboxes" in admin_client.get("/mailboxes/").content.decode()
    monkeypatch.setattr(view_helpers, "COUNT_CAP", 10)
    assert "more than 10 mailboxes" in admin_client.get("/mailboxes/").content.decode()


def test_a_search_stays_a_search_from_page_to_page(domains, admin_client):
    pages = walk(admin_client, "/mailboxes/", "/mailboxes/?q=user0")
    shown = [address for page in pages for address in page]
    assert shown == sorted(Mailbox.objects.filter(email__startswith="user0").values_list("email", flat=True))
    assert len(shown) == 20 and len(pages) == 4
    assert "q=user0" in link(admin_client.get("/mailboxes/", {"q": "user0"}).content.decode(), "Next")


def test_a_domains_page_pages_only_its_mailboxes(domains, admin_client):
    alpha, _ = domains
    pages = walk(admin_client, f"/domains/{alpha.pk}/", f"/domains/{alpha.pk}/")
    shown = [address for page in pages for address in page]
    assert shown == sorted(alpha.mailboxes.values_list("email", flat=True))
    assert "13 mailboxes" in admin_client.get(f"/domains/{alpha.pk}/").content.decode()


def test_a_domain_admin_pages_through_their_domains_only(domains):
    alpha, _ = domains
    alice = get_user_model().objects.create_user("alice", password="a long enough password")
    alice.domains.add(alpha)
    client = Client()
    client.force_login(alice)
    shown = [address for page in walk(client, "/mailboxes/", "/mailboxes/") for address in page]
    assert shown == sorted(alpha.mailboxes.values_list("email", flat=True))


def test_stale_links_still_show_a_full_page(domains, admin_client):
    everything = sorted(Mailbox.objects.values_list("email", flat=True))
    past_the_end = admin_client.get("/mailboxes/", {"after": "zzz@nowhere.example"}).content.decode()
    assert addresses(past_the_end) == everything[-PAGE:] and link(past_the_end, "Next") is None
    before_the_start = admin_client.get("/mailboxes/", {"before": everything[2]}).content.decode()
    assert addresses(before_the_start) == everything[:PAGE] and link(before_the_start, "Previous") is None


def test_search_finds_an_address_written_by_hand_in_capitals(domains, admin_client):
    Mailbox.objects.filter(email="zed@alpha.example").update(email="Zed@alpha.example")
    assert "Zed@alpha.example" in admin_client.get("/mailboxes/", {"q": "zed"}).content.decode()


def test_numbered_pages_keep_the_filters(domains, admin_client):
    page = admin_client.get("/audit/", {"domain": "alpha.example"}).content.decode()
    assert link(page, "Next") == "?domain=alpha.example&page=2"
    second = admin_client.get("/audit/" + link(page, "Next")).content.decode()
    assert "beta.example" not in second and "alpha.example" in second
