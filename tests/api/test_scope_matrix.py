"""Every endpoint and method × every kind of caller: the right status, and nothing changed when refused."""
import pytest

from domains.models import AuditEntry, Domain
from tests.api.conftest import ARGON2ID_HASH, table_snapshot

PASSWORD = "a long enough new password"

# (name, method, path, body, status for an allowed key, is it a write)
ENDPOINTS = [
    ("domain-list", "GET", "domains/", None, 200),
    ("domain-create", "POST", "domains/", {"name": "new.example", "max_mailboxes": 5, "default_quota": 10**9}, 201),
    ("domain-get", "GET", "domains/a.example/", None, 200),
    ("domain-update", "PATCH", "domains/a.example/", {"description": "billing plan 2", "max_quota": 2 * 10**9}, 200),
    ("domain-delete", "DELETE", "domains/a.example/", None, 204),
    ("domain-suspend", "POST", "domains/a.example/suspend/", None, 200),
    ("domain-resume", "POST", "domains/a.example/resume/", None, 200),
    ("mailbox-list", "GET", "mailboxes/", None, 200),
    ("mailbox-create", "POST", "mailboxes/", {"address": "new@a.example", "password_hash": ARGON2ID_HASH}, 201),
    ("mailbox-get", "GET", "mailboxes/box@a.example/", None, 200),
    ("mailbox-update", "PATCH", "mailboxes/box@a.example/", {"quota": 10**8, "spam_threshold": "4.5"}, 200),
    ("mailbox-delete", "DELETE", "mailboxes/box@a.example/", None, 204),
    ("mailbox-password", "POST", "mailboxes/box@a.example/password/", {"password": PASSWORD}, 204),
    ("mailbox-suspend", "POST", "mailboxes/box@a.example/suspend/", None, 200),
    ("mailbox-resume", "POST", "mailboxes/box@a.example/resume/", None, 200),
    ("mailbox-rename", "POST", "mailboxes/box@a.example/rename/", {"local_part": "renamed"}, 200),
    ("mailbox-rules-get", "GET", "mailboxes/box@a.example/rules/", None, 200),
    ("mailbox-rules-set", "PATCH", "mailboxes/box@a.example/rules/", {"forward_to": ["far@remote.test"]}, 200),
    ("mailbox-rules-clear", "DELETE", "mailboxes/box@a.example/rules/", None, 204),
    ("mailbox-bulk", "POST", "mailboxes/bulk/", {"mailboxes": [{"address": "new@a.example",
                                                                "password_hash": ARGON2ID_HASH}]}, 201),
    ("mailbox-bulk-update", "POST", "mailboxes/bulk/update/", {"addresses": ["box@a.example"],
                                                               "changes": {"quota": 10**8}}, 200),
    ("mailbox-bulk-delete", "POST", "mailboxes/bulk/delete/", {"addresses": ["box@a.example"]}, 204),
    ("usage-list", "GET", "usage/", None, 200),
    ("domain-usage", "GET", "domains/a.example/usage/", None, 200),
    ("domain-dns", "GET", "domains/a.example/dns/", None, 200),
    ("dkim-key-list", "GET", "domains/a.example/dkim-keys/", None, 200),
    ("dkim-key-create", "POST", "domains/a.example/dkim-keys/", {"algorithm": "ed25519"}, 201),
    # {selector}: a.example's signing key, which is neither activated again nor retired (422).
    ("dkim-key-get", "GET", "domains/a.example/dkim-keys/{selector}/", None, 200),
    ("dkim-key-activate", "POST", "domains/a.example/dkim-keys/{selector}/activate/", {}, 422),
    ("dkim-key-retire", "DELETE", "domains/a.example/dkim-keys/{selector}/", None, 422),
    ("domain-mailbox-usage", "GET", "domains/a.example/usage/mailboxes/", None, 200),
    ("mailbox-usage", "GET", "mailboxes/box@a.example/usage/", None, 200),
    ("audit-list", "GET", "audit/", None, 200),
    ("stored-mail-list", "GET", "stored-mail/", None, 200),
    # Not about a domain: the same answer for every key of these callers (the cases that succeed are
    # in test_accounts.py: they need the named-only actions api_key.manage and admin.manage).
    ("api-key-list", "GET", "api-keys/", None, 200),
    ("api-key-create", "POST", "api-keys/", {"name": "child", "domains": ["a.example"]}, 403),
    ("admin-list", "GET", "admins/", None, 403),
    ("admin-create", "POST", "admins/", {"username": "x", "password": "a long enough admin password"}, 403),
    ("webhook-list", "GET", "webhooks/", None, 200),
    ("webhook-create", "POST", "webhooks/", {"url": "https://billing.example/hooks",
                                             "event_types": ["mailbox.created"]}, 201),
    # {webhook}: the subscription of the `allowed` key; every other key's answer is 404, as for a row it cannot see.
    ("webhook-get", "GET", "webhooks/{webhook}/", None, 200),
    ("webhook-deliveries", "GET", "webhooks/{webhook}/deliveries/", None, 200),
    ("webhook-delete", "DELETE", "webhooks/{webhook}/", None, 204),
]
NOT_ABOUT_A_DOMAIN = {"api-key-list", "api-key-create", "admin-list", "admin-create"}
CALLERS = ["none", "revoked", "expired", "read_only", "other_domain", "allowed"]
# Writes that Dovecot must carry out for a mailbox it can see only once the rows are committed
# (this matrix runs in a rolled-back transaction): their allowed case is in test_owner_settings.py.
COMMITTED_ROWS_ONLY = {("mailbox-rules-set", "allowed"), ("mailbox-rules-clear", "allowed")}
CASES = [pytest.param(*endpoint, caller, id=f"{endpoint[0]}-{caller}") for endpoint in ENDPOINTS
         for caller in CALLERS if (endpoint[0], caller) not in COMMITTED_ROWS_ONLY]
LISTS = {"domain-list", "mailbox-list", "usage-list"}
OWN_WEBHOOK = {"webhook-get", "webhook-deliveries", "webhook-delete"}


def expected_status(endpoint, caller, method, allowed_status):
    if caller in ("none", "revoked", "expired"):
        return 401
    if endpoint in OWN_WEBHOOK and caller in ("read_only", "other_domain"):
        return 403 if method == "DELETE" and caller == "read_only" else 404
    if caller == "read_only":
        return allowed_status if method == "GET" else 403
    if endpoint == "domain-create" and caller in ("other_domain", "allowed"):
        return 403  # only a key for all domains creates domains
    if endpoint in ("domain-update", "domain-delete") and caller == "allowed":
        return 403  # limits and deleting the domain are for keys for all domains only
    if endpoint in NOT_ABOUT_A_DOMAIN:
        return allowed_status
    if caller == "other_domain":
        if endpoint == "webhook-create":
            return allowed_status  # its own subscription, for its own domains' events
        return 200 if endpoint in LISTS or endpoint in ("audit-list", "stored-mail-list", "webhook-list") else 404
    return allowed_status


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "method", "path", "body", "allowed_status", "caller"), CASES)
def test_scope_matrix(request, api, world, endpoint, method, path, body, allowed_status, caller):
    if endpoint == "domain-dns":
        request.getfixturevalue("nsd").serve([])  # DNS refuses at once: no timeout per name
    before, audit_rows = table_snapshot(), AuditEntry.objects.count()
    path = path.format(webhook=world["webhooks"]["allowed"], selector=world["inside"].dkim_keys.get().selector)
    response = api(method, path, body, key=world["keys"][caller])
    status = expected_status(endpoint, caller, method, allowed_status)

    assert response.status_code == status, response.body
    if status >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert response.body["status"] == status
    if status >= 400 or method == "GET":
        assert table_snapshot() == before
        assert AuditEntry.objects.count() == audit_rows
    else:
        assert table_snapshot() != before
        assert AuditEntry.objects.count() > audit_rows
    if endpoint in LISTS and status == 200:
        names = [row.get("name") or row.get("address") or row.get("domain") for row in response.body["results"]]
        domain = "c.example" if caller == "other_domain" else "a.example"
        assert names == ([f"box@{domain}"] if endpoint == "mailbox-list" else [domain])
    if endpoint == "audit-list" and status == 200:
        domain = "c.example" if caller == "other_domain" else "a.example"
        assert response.body["results"] and {row["domain"] for row in response.body["results"]} == {domain}


@pytest.mark.django_db
def test_a_key_for_all_domains_creates_domains(api, world):
    response = api("POST", "domains/", {"name": "Bücher.example.", "quota_total": 10**10},
                   key=world["keys"]["all_domains"])

    assert response.status_code == 201, response.body
    assert response.body["name"] == "xn--bcher-kva.example"
    assert response.body["name_unicode"] == "bücher.example"
    assert response["Location"] == "/api/v1/domains/xn--bcher-kva.example/"
    assert api("GET", "domains/bücher.example/", key=world["keys"]["all_domains"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"max_mailboxes": 1000}, {"max_quota": 2**40}, {"quota_total": 2**50},
                                  {"max_aliases": 0}, {"user_spam_threshold_min": "0.0"},
                                  {"description": "plan 2", "max_quota": 2**40}])
def test_a_key_for_one_domain_changes_neither_its_limits_nor_the_owners_spam_range(api, world, body):
    before, audit_rows = table_snapshot(), AuditEntry.objects.count()
    response = api("PATCH", "domains/a.example/", body, key=world["keys"]["allowed"])

    assert response.status_code == 403, response.body
    refused = sorted(set(body) - {"description"})
    assert response.body["detail"].endswith(f"may change {', '.join(refused)}.")
    assert table_snapshot() == before and AuditEntry.objects.count() == audit_rows


@pytest.mark.django_db
def test_a_key_for_one_domain_does_not_delete_it(api, world):
    response = api("DELETE", "domains/a.example/", key=world["keys"]["allowed"])

    assert response.status_code == 403 and "all domains" in response.body["detail"]
    assert Domain.objects.filter(name="a.example", mailboxes__email="box@a.example").exists()


@pytest.mark.django_db
def test_a_key_for_one_domain_sets_what_its_domain_admin_sets(api, world):
    response = api("PATCH", "domains/a.example/", {"description": "plan 2", "default_quota": 10**9,
                                                   "spam_threshold": "4.5"}, key=world["keys"]["allowed"])

    assert response.status_code == 200, response.body
    domain = Domain.objects.get(name="a.example")
    assert (domain.description, domain.default_quota, str(domain.spam_threshold)) == ("plan 2", 10**9, "4.5")


@pytest.mark.django_db
def test_a_key_for_all_domains_sets_limits_and_deletes(api, world):
    key = world["keys"]["all_domains"]
    response = api("PATCH", "domains/a.example/", {"max_mailboxes": 7, "quota_total": 2**40}, key=key)
    assert response.status_code == 200, response.body
    assert Domain.objects.filter(name="a.example", max_mailboxes=7, quota_total=2**40).exists()
    assert api("DELETE", "domains/a.example/", key=key).status_code == 204
    assert not Domain.objects.filter(name="a.example").exists()
