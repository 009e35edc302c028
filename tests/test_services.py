"""The services: one canonical form, clear errors, limits, atomic changes and an audit trail."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from domains import passwords, services
from domains.audit import Actor
from domains.errors import Conflict, LimitReached
from domains.models import Alias, AuditEntry, Domain, Mailbox

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.command("tests")
PASSWORD = "correct horse battery staple"


def new_domain(name="example.org", **settings):
    return services.domain_create(actor=ACTOR, name=name, **settings)


def test_domain_names_are_stored_in_one_canonical_form():
    assert new_domain("Bücher.Example.").name == "xn--bcher-kva.example"
    with pytest.raises(Conflict):
        new_domain("xn--bcher-kva.EXAMPLE")
    assert Domain.objects.count() == 1


def test_every_change_writes_an_audit_row_without_secrets():
    domain = new_domain(description="<img src=x onerror=alert(1)>")
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password=PASSWORD)
    services.mailbox_set_password(actor=ACTOR, mailbox=mailbox, password="another long passphrase")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_label", "domain_name"))
    assert actions == [
        ("domain.create", "command:tests", "example.org"),
        ("dkim.create", "command:tests", "example.org"),
        ("mailbox.create", "command:tests", "example.org"),
        ("mailbox.set_password", "command:tests", "example.org"),
    ]
    assert all("password" not in str(entry.after or "") for entry in AuditEntry.objects.all())


@pytest.mark.parametrize("local_part", ["", "a b", "a,b", "josé", "a@b", "x" * 65, "<img>"])
def test_invalid_mailbox_names_are_refused_and_nothing_is_written(local_part):
    domain = new_domain()
    with pytest.raises(ValidationError):
        services.mailbox_create(actor=ACTOR, domain=domain, local_part=local_part, password=PASSWORD)
    assert Mailbox.objects.count() == 0
    assert not AuditEntry.objects.filter(action="mailbox.create").exists()


def test_mailbox_passwords_follow_the_policy_and_long_ones_are_not_truncated():
    domain = new_domain()
    for weak in ("short", "password123", "ann@example.org"):
        with pytest.raises(ValidationError):
            services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password=weak)
    long_password = "λ" * 40 + "x" * 60
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password=long_password)
    assert passwords.verify_password(long_password, mailbox.password)
    assert not passwords.verify_password(long_password[:72], mailbox.password)


def test_pre_hashed_passwords_need_a_known_scheme():
    domain = new_domain()
    with pytest.raises(ValidationError):
        services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password_hash="plain-text-secret")
    mailbox = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann",
                                      password_hash="{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuu3Jj2Vbt7dqYOGq0E0VnV6V1GZ8Pue.2")
    assert mailbox.password.startswith("{BLF-CRYPT}")


def test_domain_limits_hold_for_mailboxes_quotas_and_aliases():
    domain = new_domain(max_mailboxes=1, max_aliases=1, max_quota=10**9, default_quota=10**8)
    first = services.mailbox_create(actor=ACTOR, domain=domain, local_part="one", password=PASSWORD)
    assert first.quota == 10**8
    with pytest.raises(LimitReached):
        services.mailbox_create(actor=ACTOR, domain=domain, local_part="two", password=PASSWORD)
    with pytest.raises(LimitReached):
        services.mailbox_update(actor=ACTOR, mailbox=first, quota=10**9 + 1)
    with pytest.raises(LimitReached):
        services.alias_create(actor=ACTOR, domain=domain, source="a@example.org", destinations=["x@y.org", "z@y.org"])
    assert (Mailbox.objects.count(), Mailbox.objects.get().quota, Alias.objects.count()) == (1, 10**8, 0)


def test_alias_sources_belong_to_their_domain_and_loops_are_refused():
    domain = new_domain()
    new_domain("other.example")
    with pytest.raises(ValidationError):
        services.alias_create(actor=ACTOR, domain=domain, source="postmaster@other.example", destinations=["a@x.org"])
    with pytest.raises(ValidationError):
        services.alias_create(actor=ACTOR, domain=domain, source="a@example.org", destinations=["a@x.org, b@x.org"])
    services.alias_create(actor=ACTOR, domain=domain, source="a@example.org", destinations=["b@example.org"])
    with pytest.raises(ValidationError) as loop:
        services.alias_create(actor=ACTOR, domain=domain, source="b@example.org", destinations=["A@example.org"])
    assert loop.value.code == "alias_loop"
    assert list(Alias.objects.values_list("source", "destination")) == [("a@example.org", "b@example.org")]


def test_a_failure_halfway_through_leaves_nothing_behind():
    domain = new_domain()
    services.alias_create(actor=ACTOR, domain=domain, source="team@example.org", destinations=["b@x.org"])
    with pytest.raises(Conflict):
        services.alias_create(actor=ACTOR, domain=domain, source="team@example.org",
                              destinations=["a@x.org", "B@x.org"])
    assert list(Alias.objects.values_list("destination", flat=True)) == ["b@x.org"]


def test_two_racing_creates_of_one_address_give_one_mailbox_and_one_conflict():
    domain = new_domain()
    outcomes, barrier = [], threading.Barrier(2)

    def create():
        barrier.wait()
        try:
            services.mailbox_create(actor=ACTOR, domain=domain, local_part="race", password_hash="{SHA512-CRYPT}$6$x$y")
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "created"]
    assert Mailbox.objects.filter(email="race@example.org").count() == 1


def test_the_domain_quota_caps_all_mailbox_quotas_together():
    domain = new_domain(quota_total=300 * 2**20)
    first = services.mailbox_create(actor=ACTOR, domain=domain, local_part="one", password_hash="{SHA512-CRYPT}$6$x$y",
                                    quota=200 * 2**20)
    with pytest.raises(LimitReached):
        services.mailbox_create(actor=ACTOR, domain=domain, local_part="two", password_hash="{SHA512-CRYPT}$6$x$y",
                                quota=101 * 2**20)
    with pytest.raises(LimitReached):  # unlimited would break the domain's total
        services.mailbox_create(actor=ACTOR, domain=domain, local_part="two", password_hash="{SHA512-CRYPT}$6$x$y",
                                quota=0)
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="two", password_hash="{SHA512-CRYPT}$6$x$y",
                            quota=100 * 2**20)
    services.mailbox_update(actor=ACTOR, mailbox=first, quota=150 * 2**20)  # shrinking is always fine
    with pytest.raises(LimitReached):
        services.mailbox_update(actor=ACTOR, mailbox=first, quota=201 * 2**20)
    assert sorted(Mailbox.objects.values_list("quota", flat=True)) == [100 * 2**20, 150 * 2**20]
