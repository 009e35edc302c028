"""The Sieve script rendered from an owner's rules (no stack needed: Dovecot's own compiler is
run on each by the tests that deliver mail)."""
import datetime

from selfservice.models import MailboxRules
from selfservice.sieve import quoted, render


def test_quoted_escapes_backslash_and_double_quote_and_uses_crlf():
    assert quoted('say "hi" \\ bye\nnext') == '"say \\"hi\\" \\\\ bye\r\nnext"'


def test_no_rules_is_a_script_that_does_nothing():
    script = render(MailboxRules())
    assert "require" not in script and "vacation" not in script and "redirect" not in script


def test_auto_reply_with_dates_and_forwarding_without_copy():
    rules = MailboxRules(vacation_active=True, vacation_subject="Away", vacation_text="Back Monday.",
                         vacation_days=3, vacation_start=datetime.date(2030, 1, 2),
                         vacation_end=datetime.date(2030, 1, 9), forward_to=["a@remote.test"],
                         forward_keep_copy=False)
    script = render(rules)
    assert 'require ["vacation", "date", "relational"];' in script
    assert ('if allof(currentdate :value "ge" "date" "2030-01-02", currentdate :value "le" "date" "2030-01-09")'
            in script)
    assert 'vacation :days 3 :subject "Away" "Back Monday.";' in script
    assert 'redirect "a@remote.test";' in script and ":copy" not in script


def test_forwarding_with_a_copy():
    script = render(MailboxRules(forward_to=["a@remote.test", "b@remote.test"], forward_keep_copy=True))
    assert 'require ["copy"];' in script
    assert 'redirect :copy "a@remote.test";\nredirect :copy "b@remote.test";' in script
