from django.db import models

from domains.models import Mailbox


class MailboxRules(models.Model):
    """A mailbox owner's auto-reply and forwarding as set on the self-service pages.  Dovecot
    carries them out at delivery, from the Sieve script rendered from this row (sieve.py)."""

    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, db_constraint=False, primary_key=True,
                                   related_name="rules")
    vacation_active = models.BooleanField(default=False)
    vacation_subject = models.CharField(max_length=200, blank=True, default="")
    vacation_text = models.TextField(blank=True, default="")
    vacation_start = models.DateField(null=True, blank=True)
    vacation_end = models.DateField(null=True, blank=True)
    vacation_days = models.PositiveSmallIntegerField(default=1)
    forward_to = models.JSONField(default=list, blank=True)
    forward_keep_copy = models.BooleanField(default=True)
    # The owner's choice from the language menu, also the language of the quota warnings sent to
    # them; empty: the browser's (and the panel's default for the warnings).
    language = models.CharField(max_length=16, blank=True, default="")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "mailadmin_mailbox_rules"
        verbose_name_plural = "mailbox rules"

    def __str__(self):
        return f"rules of {self.mailbox_id}"
