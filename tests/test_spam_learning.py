"""Learning from users' moves: Dovecot's IMAPSieve teaches SpamAssassin's Bayes (through spamd,
`spamc -L`) a message moved into Junk as spam and one moved out of Junk as ham; once Bayes knows
enough of each (the test stack's local.cf asks 5 of each, production SpamAssassin's 200), the next
message of a kind scores its BAYES_ rule."""
import random
import re
import subprocess

import pytest

from mailstack.config import paths
from tests import mail
from tests.conftest import PASSWORD

pytestmark = pytest.mark.stack

# Two kinds of message that no other rule scores: Bayes alone tells them apart once taught.
SPAM_WORDS = ("turquoise gazebo pelican marmalade zeppelin harpsichord walrus origami "
              "trombone kumquat flamingo saxophone").split()
HAM_WORDS = ("quarterly roadmap review agenda minutes sprint retrospective backlog estimate "
             "changelog migration schedule").split()
LEARNED = 6


def sa_learn(*arguments):
    return subprocess.run(["runuser", "-u", "debian-spamd", "--", "sa-learn",
                           f"--siteconfigpath={paths().spamassassin_config}", *arguments],
                          capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture
def empty_bayes():
    """Bayes starts empty and is emptied again: a Bayes rule would change the known scores of the
    other spam tests."""
    sa_learn("--clear")
    yield
    sa_learn("--clear")


def of_kind(words, to, extra=""):
    chosen = random.sample(words, 10)
    return mail.message(to, body=f"Hello, {' '.join(chosen)}.\n{' '.join(reversed(chosen))}.\n{extra}")


def bayes_rules(received) -> list[str]:
    status = received["X-Spam-Status"]
    return re.findall(r"BAYES_\d+", re.sub(r"\s+", "", status))


def delivered(user, sent, folder):
    mail.send(sent)
    return mail.wait_for(user, PASSWORD, sent["Subject"], folder)


def move(user, subject, source, target):
    """A user's move over IMAP (UID MOVE), as a mail client does it."""
    client = mail.imap(user, PASSWORD)
    try:
        assert client.select(f'"{source}"')[0] == "OK"
        _, data = client.uid("SEARCH", "SUBJECT", f'"{subject}"')
        [uid] = data[0].split()
        status, answer = client.uid("MOVE", uid, f'"{target}"')
        assert status == "OK", answer
    finally:
        client.logout()


def test_moves_into_and_out_of_junk_teach_bayes(mail_domain, empty_bayes):
    mail_domain("example.org").mailbox("learner")
    user = "learner@example.org"
    first = delivered(user, of_kind(SPAM_WORDS, user), "INBOX")
    assert bayes_rules(first) == []  # Bayes knows nothing yet

    for _ in range(LEARNED):  # spam the filter missed: moved into Junk
        sent = of_kind(SPAM_WORDS, user)
        delivered(user, sent, "INBOX")
        move(user, sent["Subject"], "INBOX", "Junk")
    for _ in range(LEARNED):  # wanted mail the filter put in Junk: moved back to the inbox
        sent = of_kind(HAM_WORDS, user, extra="MAILADMIN-TEST-SCORE-7.0")
        delivered(user, sent, "Junk")
        move(user, sent["Subject"], "Junk", "INBOX")
    magic = sa_learn("--dump", "magic")
    assert re.search(rf"\s{LEARNED}\s+0\s+non-token data: nspam", magic), magic
    assert re.search(rf"\s{LEARNED}\s+0\s+non-token data: nham", magic), magic

    # The next message of the spam kind now lands in Junk on Bayes' word alone; the ham kind in the inbox.
    assert set(bayes_rules(delivered(user, of_kind(SPAM_WORDS, user), "Junk"))) == {"BAYES_99", "BAYES_999"}
    assert bayes_rules(delivered(user, of_kind(HAM_WORDS, user), "INBOX")) == ["BAYES_00"]


def test_deleting_spam_from_junk_teaches_nothing(mail_domain, empty_bayes):
    mail_domain("example.org").mailbox("deleter")
    user = "deleter@example.org"
    sent = of_kind(SPAM_WORDS, user)
    delivered(user, sent, "INBOX")
    move(user, sent["Subject"], "INBOX", "Junk")
    move(user, sent["Subject"], "Junk", "Trash")
    magic = sa_learn("--dump", "magic")
    assert re.search(r"\s1\s+0\s+non-token data: nspam", magic), magic
    assert re.search(r"\s0\s+0\s+non-token data: nham", magic), magic
