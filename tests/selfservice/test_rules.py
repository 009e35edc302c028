"""Auto-reply and forwarding, carried out by Dovecot's Sieve at delivery from the script the
self-service pages store through doveadm; the user's own (Roundcube) scripts stay as they are."""
import datetime
import uuid

import pytest

from domains.mailserver import SIEVE_SCRIPT
from domains.models import AuditEntry
from selfservice.models import MailboxRules
from tests import mail
from tests.conftest import PASSWORD
from tests.selfservice.conftest import doveadm, managesieve_put_active, sieve_script, signed_in

pytestmark = pytest.mark.stack
AUTO_REPLY = {"vacation_active": "on", "vacation_text": "I am away until Monday.\nRegards", "vacation_days": 1,
              "vacation_start": "", "vacation_end": ""}
USER_SCRIPT = (b'require ["fileinto", "mailbox"];\n'
               b'if header :contains "Subject" "[filed]" { fileinto :create "Filed"; }\n')


def reply_subject():
    return f"Away {uuid.uuid4()}"


def delivered(address, sent, folder="INBOX"):
    return mail.wait_for(address, PASSWORD, sent["Subject"], folder)


def test_auto_reply_answers_each_sender_once(client, owner, relay_sink):
    subject = reply_subject()
    signed_in(client, owner)
    assert client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject}).status_code == 302
    first, second = mail.message(owner.email), mail.message(owner.email)
    mail.send(first)
    delivered(owner.email, first)
    mail.send(second)
    delivered(owner.email, second)
    reply = relay_sink.wait_for(subject)
    # From the null sender, so that no auto-reply ever answers it.
    assert reply.rcpt_tos == ["someone@remote.test"] and reply.mail_from == "<>"
    assert b"I am away until Monday." in reply.original_content
    other_sender = mail.message(owner.email, sender="other@remote.test")
    mail.send(other_sender, sender="other@remote.test")
    delivered(owner.email, other_sender)
    relay_sink_settle(relay_sink, subject, 2)
    assert sorted(envelope.rcpt_tos[0] for envelope in relay_sink.with_subject(subject)) == [
        "other@remote.test", "someone@remote.test"]
    assert "On" in client.get("/me/").content.decode()


def relay_sink_settle(relay_sink, subject, count, timeout=20):
    """Waits until `count` messages with the subject have arrived and Postfix has nothing left
    on its way, so that a message too many (or any at all, for 0) would be seen."""
    import time

    deadline = time.monotonic() + timeout
    while len(relay_sink.with_subject(subject)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    mail.wait_until_postfix_idle()
    return len(relay_sink.with_subject(subject))


def test_auto_reply_outside_its_dates_stays_silent(client, owner, relay_sink):
    subject = reply_subject()
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    signed_in(client, owner)
    client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject, "vacation_start": "2020-01-01",
                                                 "vacation_end": yesterday.isoformat()})
    sent = mail.message(owner.email)
    mail.send(sent)
    delivered(owner.email, sent)
    assert relay_sink_settle(relay_sink, subject, 0) == 0


def test_auto_reply_within_its_dates_answers(client, owner, relay_sink):
    subject = reply_subject()
    today = datetime.date.today()
    signed_in(client, owner)
    client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject, "vacation_start": today.isoformat(),
                                                 "vacation_end": (today + datetime.timedelta(days=3)).isoformat()})
    mail.send(mail.message(owner.email))
    relay_sink.wait_for(subject)


def test_turning_the_auto_reply_off_stops_it(client, owner, relay_sink):
    subject = reply_subject()
    signed_in(client, owner)
    client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject})
    client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject, "vacation_active": ""})
    sent = mail.message(owner.email)
    mail.send(sent)
    delivered(owner.email, sent)
    assert relay_sink_settle(relay_sink, subject, 0) == 0
    assert "vacation" not in sieve_script(owner.email, SIEVE_SCRIPT)


@pytest.mark.parametrize("keep_copy", [True, False])
def test_forwarding_reaches_the_external_address_with_or_without_a_copy(client, owner, relay_sink, keep_copy):
    signed_in(client, owner)
    response = client.post("/me/forwarding/", {"forward_to": "Far@Remote.test\nsecond@remote.test",
                                               "forward_keep_copy": "on" if keep_copy else ""})
    assert response.status_code == 302, response.content.decode()[-3000:]
    sent = mail.message(owner.email)
    mail.send(sent)
    forwarded = relay_sink.wait_for(sent["Subject"])
    relay_sink_settle(relay_sink, sent["Subject"], 2)
    assert sorted(envelope.rcpt_tos[0] for envelope in relay_sink.with_subject(sent["Subject"])) == [
        "far@remote.test", "second@remote.test"]
    assert mail.is_srs_of(forwarded.mail_from, "someone@remote.test"), "SRS: it passes SPF where it arrives"
    if keep_copy:
        delivered(owner.email, sent)
    else:
        assert mail.fetch(owner.email, PASSWORD, sent["Subject"]) is None


@pytest.mark.parametrize("forward_to, message", [
    ("me", "address"),
    ("a@remote.test, b@remote.test", "address"),
    ("a@remote.test\r\nBcc: x@remote.test", "address"),
    ("\n".join(f"n{number}@remote.test" for number in range(6)), "at most 5"),
])
def test_bad_forwarding_addresses_are_refused_and_nothing_changes(client, owner, forward_to, message):
    signed_in(client, owner)
    client.post("/me/forwarding/", {"forward_to": "kept@remote.test", "forward_keep_copy": "on"})
    response = client.post("/me/forwarding/", {"forward_to": forward_to.replace("me", owner.email)})
    assert response.status_code == 200 and message in response.content.decode()
    assert MailboxRules.objects.get(mailbox=owner).forward_to == ["kept@remote.test"]
    assert "kept@remote.test" in sieve_script(owner.email, SIEVE_SCRIPT)


def test_forwarding_to_itself_is_refused(client, owner):
    signed_in(client, owner)
    response = client.post("/me/forwarding/", {"forward_to": owner.email.upper()})
    assert "would loop" in response.content.decode()
    assert not MailboxRules.objects.filter(mailbox=owner).exists()


def test_the_users_own_script_stays_active_and_keeps_working(client, owner, relay_sink):
    managesieve_put_active(owner.email, PASSWORD, "roundcube", USER_SCRIPT)
    subject = reply_subject()
    signed_in(client, owner)
    client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject})
    client.post("/me/forwarding/", {"forward_to": "copy@remote.test", "forward_keep_copy": "on"})
    listing = doveadm("sieve", "list", "-u", owner.email)
    assert "roundcube ACTIVE" in listing and "mailadmin" in listing and "mailadmin ACTIVE" not in listing
    assert sieve_script(owner.email, "roundcube").encode() == USER_SCRIPT
    sent = mail.message(owner.email)
    del sent["Subject"]
    sent["Subject"] = f"[filed] {uuid.uuid4()}"
    mail.send(sent)
    delivered(owner.email, sent, folder="Filed")  # the user's filter
    relay_sink.wait_for(subject)  # the panel's auto-reply
    relay_sink.wait_for(sent["Subject"])  # and its forwarding


def test_texts_with_quotes_and_markup_are_kept_exactly_and_shown_escaped(client, owner, relay_sink):
    marker = str(uuid.uuid4())
    subject = 'Away "quoted" \\ <img src=x onerror=alert(1)> ' + marker
    text = 'Back soon. "Quoted", back\\slash, ${variable}\n.\nA line with only a dot above.'
    signed_in(client, owner)
    assert client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject,
                                                        "vacation_text": text}).status_code == 302
    mail.send(mail.message(owner.email))
    reply = wait_for_reply(relay_sink, marker)
    assert " ".join(str(reply["Subject"]).split()) == subject  # unfolded
    assert reply.get_content().replace("\r\n", "\n").startswith(text)
    page = client.get("/me/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def wait_for_reply(relay_sink, marker, timeout=30):
    """The reply whose (possibly MIME-encoded) subject contains the marker, parsed."""
    import email
    import email.policy
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for envelope in relay_sink.received:
            parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            if marker in str(parsed["Subject"]):
                return parsed
        time.sleep(0.2)
    raise AssertionError(f"no reply with {marker} in its subject")


def test_an_auto_reply_needs_a_text_and_dates_in_order(client, owner):
    signed_in(client, owner)
    empty = client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": "x", "vacation_text": " "})
    assert "Write the text" in empty.content.decode()
    backwards = client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": "x", "vacation_start": "2030-01-02",
                                                             "vacation_end": "2030-01-01"})
    assert "before its first" in backwards.content.decode()
    assert not MailboxRules.objects.filter(mailbox=owner).exists()


def test_each_owner_changes_only_their_own_rules(client, owners):
    mine, theirs = owners(), owners()
    signed_in(client, mine)
    client.post("/me/forwarding/", {"forward_to": "x@remote.test", "mailbox": theirs.pk, "address": theirs.email})
    assert MailboxRules.objects.get(mailbox=mine).forward_to == ["x@remote.test"]
    assert not MailboxRules.objects.filter(mailbox=theirs).exists()
    entry = AuditEntry.objects.get(action="mailbox.rules")
    assert entry.object_repr == mine.email and entry.actor_label == f"mailbox:{mine.email}"


def test_rules_go_with_their_mailbox(client, owners):
    from domains import services
    from domains.audit import Actor

    owner = owners()
    signed_in(client, owner)
    client.post("/me/forwarding/", {"forward_to": "x@remote.test"})
    services.mailbox_delete(actor=Actor.command("tests"), mailbox=owner)
    assert not MailboxRules.objects.filter(mailbox_id=owner.pk).exists()


def test_forwarding_and_the_auto_reply_answer_mail_from_one_of_our_own_users(client, owners, relay_sink):
    """Dovecot sends them through the listener kept for it, with our user as the forward's envelope
    sender and as the reply's recipient: port 25's refusal of our own senders does not apply there."""
    owner, colleague = owners(), owners()
    subject = reply_subject()
    signed_in(client, owner)
    client.post("/me/auto-reply/", AUTO_REPLY | {"vacation_subject": subject})
    client.post("/me/forwarding/", {"forward_to": "far@remote.test", "forward_keep_copy": "on"})
    sent = mail.message(owner.email, sender=colleague.email)
    mail.submit(sent, colleague.email, PASSWORD)
    forwarded = relay_sink.wait_for(sent["Subject"])
    assert forwarded.mail_from == colleague.email and forwarded.rcpt_tos == ["far@remote.test"]
    mail.wait_for(colleague.email, PASSWORD, subject)  # the auto-reply, delivered back to our own user
