"""Creating many mailboxes or aliases at once: all or nothing, every problem reported by item."""
import pytest

from domains import passwords, services
from domains.audit import Actor
from domains.errors import BulkRejected
from domains.models import Alias, AuditEntry, Mailbox, MailStoreJob
from domains.services import NewAlias, NewMailbox
from tests import mail

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.command("tests")
PASSWORD = "correct horse battery staple"
HASH = passwords.hash_password(PASSWORD, "SHA512-CRYPT")


def new_domain(name="example.org", **settings):
    return services.domain_create(actor=ACTOR, name=name, **settings)


def codes(rejected: BulkRejected) -> dict[int, list[str]]:
    return {index: sorted(error.code for error in errors) for index, errors in rejected.item_errors.items()}


def test_a_batch_of_mailboxes_is_created_with_hashes_kept_and_an_audit_row_each():
    domain = new_domain(default_quota=1000)
    other = new_domain("other.test")
    created = services.mailboxes_create_many(actor=ACTOR, domains={"example.org": domain, "other.test": other},
                                             mailboxes=[NewMailbox("Ann@Example.org", password_hash=HASH),
                                                        NewMailbox("bob@other.test", password=PASSWORD, quota=5)])
    assert [mailbox.email for mailbox in created] == ["ann@example.org", "bob@other.test"]
    ann, bob = Mailbox.objects.get(email="ann@example.org"), Mailbox.objects.get(email="bob@other.test")
    assert (ann.password, ann.quota, bob.quota) == (HASH, 1000, 5)
    assert passwords.verify_password(PASSWORD, bob.password)
    assert sorted(AuditEntry.objects.filter(action="mailbox.create").values_list("object_repr", "domain_name")) == [
        ("ann@example.org", "example.org"), ("bob@other.test", "other.test")]


def test_every_problem_of_every_item_is_reported_and_nothing_is_written():
    domain = new_domain(max_quota=100)
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="taken", password=PASSWORD, quota=10)
    batch = [
        NewMailbox("fine@example.org", password_hash=HASH, quota=10),
        NewMailbox("taken@example.org", password_hash=HASH, quota=10),
        NewMailbox("fine@example.org", password_hash=HASH, quota=10),
        NewMailbox("big@example.org", password_hash=HASH, quota=1000),
        NewMailbox("weak@example.org", password="short", quota=10),
        NewMailbox("x@elsewhere.test", password_hash=HASH),
        NewMailbox("odd@example.org", password_hash="{NOPE}abc", spam_threshold="lots", quota=10),
        NewMailbox("no-at-sign", password_hash=HASH),
    ]
    with pytest.raises(BulkRejected) as rejected:
        services.mailboxes_create_many(actor=ACTOR, domains={"example.org": domain}, mailboxes=batch)
    assert codes(rejected.value) == {
        1: ["conflict"], 2: ["duplicate"], 3: ["quota_limit"], 4: ["password_too_short"], 5: ["no_domain"],
        6: ["hash_scheme", "spam_threshold"], 7: ["address_at"],
    }
    assert list(Mailbox.objects.values_list("email", flat=True)) == ["taken@example.org"]
    assert AuditEntry.objects.filter(action="mailbox.create").count() == 1


def test_domain_limits_hold_for_the_whole_batch():
    domain = new_domain(max_mailboxes=3, quota_total=100)
    services.mailbox_create(actor=ACTOR, domain=domain, local_part="first", password=PASSWORD, quota=40)
    batch = [NewMailbox(f"user{number}@example.org", password_hash=HASH, quota=25) for number in range(3)]
    with pytest.raises(BulkRejected) as rejected:
        services.mailboxes_create_many(actor=ACTOR, domains={"example.org": domain}, mailboxes=batch)
    # The third new mailbox would be the domain's fourth, and its 25 bytes would make 115 of 100.
    assert codes(rejected.value) == {2: ["mailbox_limit", "quota_total"]}
    assert Mailbox.objects.count() == 1
    services.mailboxes_create_many(actor=ACTOR, domains={"example.org": domain}, mailboxes=batch[:2])
    assert Mailbox.objects.count() == 3


def test_a_new_mailbox_never_gets_the_folder_of_a_deleted_one_awaiting_archiving():
    domain = new_domain()
    old = services.mailbox_create(actor=ACTOR, domain=domain, local_part="ann", password=PASSWORD)
    services.mailbox_delete(actor=ACTOR, mailbox=old)
    assert MailStoreJob.objects.filter(path="example.org/ann", state=MailStoreJob.PENDING).exists()
    [ann] = services.mailboxes_create_many(actor=ACTOR, domains={"example.org": domain},
                                           mailboxes=[NewMailbox("ann@example.org", password_hash=HASH)])
    assert ann.home.startswith("example.org/ann~")
    assert Mailbox.objects.get(email="ann@example.org").maildir == ann.home


def test_a_batch_of_aliases_is_created_or_refused_as_a_whole():
    domain = new_domain(max_aliases=4)
    services.alias_create(actor=ACTOR, domain=domain, source="sales@example.org", destinations=["a@remote.test"])
    refused = [
        NewAlias("info@example.org", ["a@remote.test", "b@remote.test"]),
        NewAlias("sales@example.org", ["c@remote.test"]),
        NewAlias("loop1@example.org", ["loop2@example.org"]),
        NewAlias("loop2@example.org", ["loop1@example.org"]),
        NewAlias("info@example.org", ["d@remote.test"]),
        NewAlias("x@elsewhere.test", ["a@remote.test"]),
        NewAlias("empty@example.org", []),
    ]
    with pytest.raises(BulkRejected) as rejected:
        services.aliases_create_many(actor=ACTOR, domains={"example.org": domain}, aliases=refused)
    assert codes(rejected.value) == {1: ["conflict"], 3: ["alias_limit"], 4: ["duplicate"], 5: ["no_domain"],
                                     6: ["alias_destinations"]}
    assert list(Alias.objects.values_list("source", flat=True)) == ["sales@example.org"]

    with pytest.raises(BulkRejected) as rejected:
        services.aliases_create_many(actor=ACTOR, domains={"example.org": domain}, aliases=refused[2:4])
    assert codes(rejected.value) == {0: ["alias_loop"], 1: ["alias_loop"]}
    assert Alias.objects.count() == 1

    created = services.aliases_create_many(actor=ACTOR, domains={"example.org": domain}, aliases=[
        NewAlias("info@example.org", ["a@remote.test", "b@remote.test"]), NewAlias("@example.org", ["x@remote.test"])])
    assert created == 3
    assert sorted(Alias.objects.values_list("source", "destination")) == [
        ("@example.org", "x@remote.test"), ("info@example.org", "a@remote.test"),
        ("info@example.org", "b@remote.test"), ("sales@example.org", "a@remote.test")]
    assert AuditEntry.objects.filter(action="alias.create").count() == 3


@pytest.mark.stack
def test_mailboxes_created_in_bulk_with_migrated_hashes_receive_mail_and_log_in():
    domain = new_domain("bulk.test")
    bcrypt = passwords.hash_password(PASSWORD, "BLF-CRYPT")
    services.mailboxes_create_many(actor=ACTOR, domains={"bulk.test": domain}, mailboxes=[
        NewMailbox("ann@bulk.test", password_hash=HASH), NewMailbox("bob@bulk.test", password_hash=bcrypt)])
    services.aliases_create_many(actor=ACTOR, domains={"bulk.test": domain},
                                 aliases=[NewAlias("team@bulk.test", ["ann@bulk.test", "bob@bulk.test"])])
    message = mail.message("team@bulk.test")
    mail.send(message)
    for user in ("ann@bulk.test", "bob@bulk.test"):
        assert mail.wait_for(user, PASSWORD, message["Subject"]) is not None
    assert not mail.imap_login_works("ann@bulk.test", "wrong password entirely")


def test_josé_typed_composed_and_decomposed_is_one_address_in_a_batch():
    jose_nfc, jose_nfd = "jos\u00e9", "jose\u0301"  # é as one character, or e and a combining accent
    domain = new_domain()
    with pytest.raises(BulkRejected) as rejected:
        services.aliases_create_many(actor=ACTOR, domains={"example.org": domain}, aliases=[
            NewAlias(f"{jose_nfc}@example.org", ["a@remote.test"]),
            NewAlias(f"{jose_nfd}@example.org", ["b@remote.test"])])
    assert codes(rejected.value) == {1: ["duplicate"]}
    assert not Alias.objects.exists()

    services.aliases_create_many(actor=ACTOR, domains={"example.org": domain}, aliases=[
        NewAlias(f"{jose_nfd}@example.org", [f"{jose_nfd}@remote.test"])])
    with pytest.raises(BulkRejected) as rejected:
        services.aliases_create_many(actor=ACTOR, domains={"example.org": domain}, aliases=[
            NewAlias(f"{jose_nfc}@example.org", ["b@remote.test"])])
    assert codes(rejected.value) == {0: ["conflict"]}
    assert list(Alias.objects.values_list("source", "destination")) == [
        (f"{jose_nfc}@example.org", f"{jose_nfc}@remote.test")]
