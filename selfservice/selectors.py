"""What a mailbox owner's pages read about their one mailbox (which mailbox that is: session.py)."""
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from domains.models import Mailbox
from selfservice.models import MailboxRules


def rules_of(mailbox: Mailbox) -> MailboxRules:
    """The owner's auto-reply and forwarding (an unsaved blank set if they never saved any)."""
    return MailboxRules.objects.filter(mailbox=mailbox).first() or MailboxRules(mailbox=mailbox)


@dataclass(frozen=True)
class EffectiveThreshold:
    threshold: Decimal
    source: str


def effective_spam_threshold(mailbox: Mailbox) -> EffectiveThreshold:
    """The threshold Dovecot's user_query passes to the spam step, and whose it is."""
    if mailbox.spam_threshold is not None:
        return EffectiveThreshold(mailbox.spam_threshold, _("your own threshold"))
    if mailbox.domain.spam_threshold is not None:
        return EffectiveThreshold(mailbox.domain.spam_threshold, _("your domain's threshold"))
    return EffectiveThreshold(settings.MAILADMIN_SPAM_THRESHOLD_DEFAULT, _("the server's default threshold"))
