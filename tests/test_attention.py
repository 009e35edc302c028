"""The first page's "Needs attention": each item shows while its condition holds and not
otherwise, a domain admin sees only their domains' items (and no server facts), and the
mailboxes near their quota are read through an index."""
import json
import re
import socket
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import ApiKey
from domains import services
from domains.audit import Actor
from domains.models import MailboxNearQuota, MailboxUsage, MailStoreJob
from domains.scope import Scope
from mailadmin.attention import mailboxes_near_quota
from tests.signin import sign_in_with_second_factor

pytestmark = pytest.mark.django_db
ACTOR = Actor.command("tests")
PASSWORD = "a long enough password 1"
GIB = 2**30


@pytest.fixture
def world(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # no backup status file: "No backup yet."
    alpha = services.domain_create(actor=ACTOR, name="alpha.example", max_mailboxes=2, max_quota=10 * GIB)
    beta = services.domain_create(actor=ACTOR, name="beta.example", max_mailboxes=2, max_quota=10 * GIB)
    boxes = {name: services.mailbox_create(actor=ACTOR, domain=domain, local_part=name, password=PASSWORD, quota=GIB)
             for name, domain in (("ann", alpha), ("amy", alpha), ("bob", beta))}
    users = get_user_model().objects
    root = users.create_superuser("root", password=PASSWORD)
    alice = users.create_user("alice", password=PASSWORD)
    alice.domains.add(alpha)
    clients = {}
    for user in (root, alice):
        clients[user.username] = sign_in_with_second_factor(Client(), user)
    return {"alpha": alpha, "beta": beta, "boxes": boxes, "clients": clients, "tmp": tmp_path}


def attention(client) -> str:
    cache.delete("attention:server")  # read afresh: the server facts are kept 30 s
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200, (response.status_code, response.get("Location"), page[-3000:])
    found = re.search(r'<section class="mb-4" id="attention".*?</section>', page, re.DOTALL)
    assert found
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def use(address, used):
    MailboxUsage.objects.update_or_create(username=address, defaults={"bytes": used})


def test_domains_at_their_limits(world):
    root, alice = world["clients"]["root"], world["clients"]["alice"]
    assert "alpha.example is near its limits: 2 of 2 mailboxes" in attention(root)
    assert "beta.example" not in attention(root)
    services.domain_update(actor=ACTOR, domain=world["alpha"], max_mailboxes=20)
    assert "alpha.example is near" not in attention(root)
    services.domain_update(actor=ACTOR, domain=world["beta"], max_mailboxes=1)  # over it, even
    assert "beta.example is near" in attention(root) and "beta.example" not in attention(alice)
    services.domain_update(actor=ACTOR, domain=world["alpha"], quota_total=2 * GIB + GIB // 10)
    assert "alpha.example is near its limits: 2 of 20 mailboxes" in attention(alice)


def test_mailboxes_near_their_quota_follow_usage_and_quota(world):
    root, alice = world["clients"]["root"], world["clients"]["alice"]
    use("ann@alpha.example", GIB * 89 // 100)
    use("bob@beta.example", GIB * 95 // 100)
    assert "ann@alpha.example uses" not in attention(root) and "bob@beta.example uses" in attention(root)
    use("ann@alpha.example", GIB * 91 // 100)  # Dovecot's quota_clone updates its row
    assert "ann@alpha.example uses" in attention(alice) and "bob@beta.example" not in attention(alice)
    services.mailbox_update(actor=ACTOR, mailbox=world["boxes"]["ann"], quota=2 * GIB)
    assert "ann@alpha.example uses" not in attention(alice)
    services.mailbox_delete(actor=ACTOR, mailbox=world["boxes"]["bob"])
    assert not MailboxNearQuota.objects.exists()


def test_mail_store_jobs_failed_or_waiting_too_long(world):
    root, alice = world["clients"]["root"], world["clients"]["alice"]
    now = timezone.now()
    job = services.mailbox_delete(actor=ACTOR, mailbox=world["boxes"]["amy"])  # due now: not yet overdue
    MailStoreJob.objects.create(action=MailStoreJob.PURGE, domain_id=world["alpha"].pk, domain_name="alpha.example",
                                path="alpha.example/x", not_before=now + timedelta(days=30), requested_by="tests")
    assert "mail-store job" not in attention(root)
    MailStoreJob.objects.filter(pk=job.pk).update(not_before=now - timedelta(hours=1))
    assert "The mail-store job “archive amy@alpha.example” has waited 1" in attention(alice)
    MailStoreJob.objects.filter(pk=job.pk).update(state=MailStoreJob.FAILED, finished=now, outcome="disk full")
    assert "“archive amy@alpha.example” failed: disk full" in attention(root)
    MailStoreJob.objects.filter(pk=job.pk).update(domain_id=world["beta"].pk)
    assert "mail-store job" not in attention(alice)


def test_lockouts_of_the_last_day(world):
    root, alice = world["clients"]["root"], world["clients"]["alice"]
    for name, failures in (("mailbox:ann@alpha.example", 5), ("mailbox:bob@beta.example", 7), ("admin:root", 5),
                           ("mailbox:amy@alpha.example", 2)):
        AccessAttempt.objects.create(username=name, ip_address="192.0.2.7", user_agent="", get_data="", post_data="",
                                     failures_since_start=failures, http_accept="", path_info="/")
    seen = attention(root)
    assert all(f"Sign-in locked: {name} from 192.0.2.7" in seen for name in (
        "mailbox:ann@alpha.example", "mailbox:bob@beta.example", "admin:root"))
    assert "amy@alpha.example" not in seen
    seen = attention(alice)
    assert "mailbox:ann@alpha.example" in seen and "bob@beta.example" not in seen and "admin:root" not in seen
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(days=2))
    assert "Sign-in locked" not in attention(root)


def test_api_keys_about_to_expire(world):
    root, alice = world["clients"]["root"], world["clients"]["alice"]
    now = timezone.now()
    for prefix, expires, revoked in (("soon0001", now + timedelta(days=3), None),
                                     ("late0001", now + timedelta(days=30), None),
                                     ("gone0001", now + timedelta(days=3), now)):
        ApiKey.objects.create(name=f"billing {prefix}", prefix=prefix, key_hash=prefix, all_domains=True,
                              expires=expires, revoked=revoked)
    seen = attention(root)
    assert "The API key billing soon0001 (soon0001) expires on" in seen
    assert "late0001" not in seen and "gone0001" not in seen and "API key" not in attention(alice)


def test_server_facts_for_superadmins_only(world, settings):
    root, alice = world["clients"]["root"], world["clients"]["alice"]
    assert "No backup yet." in attention(root) and "Down:" not in attention(root)
    (world["tmp"] / "backup-status.json").write_text(json.dumps(
        {"finished": timezone.now().isoformat(), "result": "ok", "detail": ""}))
    assert "backup" not in attention(root)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    settings.MAILSTACK = {**settings.MAILSTACK, "ports": {**settings.MAILSTACK["ports"], "spamd": closed}}
    assert "Down: spamd (connection refused)" in attention(root)
    assert "Down:" not in attention(alice) and "backup" not in attention(alice)
    assert "certificate" not in attention(root)  # the test stack's is valid for long


def test_nothing_to_attend_to_says_so(world):
    services.domain_update(actor=ACTOR, domain=world["alpha"], max_mailboxes=0)
    assert "Nothing needs attention now." in attention(world["clients"]["alice"])


def test_the_mailboxes_near_their_quota_are_read_through_an_index(world):
    for name in ("ann@alpha.example", "amy@alpha.example", "bob@beta.example"):
        use(name, GIB)
    for scope, index in ((Scope(), "PRIMARY"), (Scope(domain_ids=(world["alpha"].pk,)), "mailbox_near_quota_domain")):
        with connection.cursor() as cursor:
            sql, parameters = mailboxes_near_quota(scope).query.sql_with_params()
            cursor.execute("EXPLAIN FORMAT=JSON " + sql, parameters)
            plan = json.loads(cursor.fetchone()[0])
        tables = [step["table"] for step in plan["query_block"].get("nested_loop", [plan["query_block"]])]
        assert len(tables) == 1, plan  # never a join with virtual_users or mailbox_usage
        table = tables[0]
        assert table["table_name"] == "mailadmin_mailbox_near_quota" and table["key"] == index, plan
        assert "filesort" not in json.dumps(plan), plan
