"""The ISPmail tables, under their tutorial names, so that the tutorial's own Postfix and
Dovecot queries keep working against a database the panel manages.

Columns added by the panel all have a database-level default, so the tutorial's
hand-written INSERTs still succeed.  Foreign keys cascade in the database itself
(see the initial migration): deleting a domain row in SQL removes its users and aliases.
Addresses are stored in the canonical form of domains/addresses.py.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from domains.addresses import display_domain

ADDRESS_COLLATION = settings.ADDRESS_COLLATION


class Timestamped(models.Model):
    created = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    updated = models.DateTimeField(auto_now=True, db_default=Now(), editable=False)

    class Meta:
        abstract = True


class SpamThresholdField(models.DecimalField):
    """A SpamAssassin score threshold with one decimal, as SpamAssassin prints scores."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 4)
        kwargs.setdefault("decimal_places", 1)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)


class Domain(Timestamped):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=253, unique=True, db_collation=ADDRESS_COLLATION)
    description = models.CharField(max_length=255, blank=True, default="", db_default="")
    active = models.BooleanField(default=True, db_default=True)
    max_mailboxes = models.PositiveIntegerField(default=0, db_default=0, help_text="0 = no limit")
    max_aliases = models.PositiveIntegerField(default=0, db_default=0, help_text="0 = no limit")
    default_quota = models.PositiveBigIntegerField(default=0, db_default=0, help_text="bytes; 0 = unlimited")
    max_quota = models.PositiveBigIntegerField(
        default=0, db_default=0, help_text="largest quota of one mailbox, bytes; 0 = no limit"
    )
    quota_total = models.PositiveBigIntegerField(
        default=0, db_default=0, help_text="all mailbox quotas together, bytes; 0 = no limit"
    )
    spam_threshold = SpamThresholdField(help_text="empty = the global default")
    # The range within which mailbox owners set their own threshold on the self-service pages.
    user_spam_threshold_min = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("1.0"),
                                                  db_default=Decimal("1.0"))
    user_spam_threshold_max = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal("10.0"),
                                                  db_default=Decimal("10.0"))
    # Who suspended it, while it is suspended: "billing" (through the API, a billing system's
    # decision that only a superadmin or the API undoes) or "admin"; empty when active or unknown.
    suspended_by = models.CharField(max_length=16, blank=True, default="", db_default="")

    class Meta:
        db_table = "virtual_domains"
        ordering = ["name"]

    def __str__(self):
        return display_domain(self.name)


class Mailbox(Timestamped):
    id = models.AutoField(primary_key=True)
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, db_constraint=False, related_name="mailboxes")
    password = models.CharField(max_length=255)
    email = models.CharField(max_length=254, unique=True, db_collation=ADDRESS_COLLATION)
    quota = models.PositiveBigIntegerField(default=0, db_default=0, help_text="bytes; 0 = unlimited")
    active = models.BooleanField(default=True, db_default=True)
    display_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    spam_threshold = SpamThresholdField(help_text="empty = the domain's threshold")
    # Where the mail is, below the mail root; empty = "<domain>/<local part>" as in the tutorial.
    # Set when the address no longer says where the mail is (after a rename).
    maildir = models.CharField(max_length=255, blank=True, default="", db_default="")
    # Who suspended it, while it is suspended: "billing" (through the API, a billing system's
    # decision that only a superadmin or the API undoes) or "admin"; empty when active or unknown.
    suspended_by = models.CharField(max_length=16, blank=True, default="", db_default="")

    class Meta:
        db_table = "virtual_users"
        ordering = ["email"]
        verbose_name_plural = "mailboxes"
        # A domain's mailboxes in address order, read page by page straight from the index.
        indexes = [
            models.Index(fields=["domain", "email"], name="virtual_users_domain_email"),
            # A new mailbox checks that its folder is not still another's (after a rename).
            models.Index(fields=["maildir"], name="virtual_users_maildir"),
        ]

    def __str__(self):
        return self.email

    @property
    def home(self) -> str:
        """The mailbox's folder below the mail root, as Dovecot's user_query computes it."""
        local_part, domain = self.email.rsplit("@", 1)
        return self.maildir or f"{domain}/{local_part}"


class Alias(Timestamped):
    id = models.AutoField(primary_key=True)
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, db_constraint=False, related_name="aliases")
    source = models.CharField(max_length=254, db_collation=ADDRESS_COLLATION)
    destination = models.CharField(max_length=254, db_collation=ADDRESS_COLLATION)

    class Meta:
        db_table = "virtual_aliases"
        ordering = ["source", "destination"]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(fields=["source", "destination"], name="virtual_aliases_source_destination"),
        ]

    def __str__(self):
        return f"{self.source} → {self.destination}"


class AuditEntry(models.Model):
    """Who changed what, when and from where; written in the same transaction as the change."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=255)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=64)
    # The domain's id, kept after the domain is deleted (no foreign key): a later domain of the same
    # name is another domain, whose admins do not see these rows.  Null for admins and keys.
    domain_id = models.IntegerField(null=True, blank=True, db_index=True)
    domain_name = models.CharField(max_length=253, blank=True, db_index=True)
    object_repr = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "mailadmin_audit"
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class MailboxUsage(models.Model):
    """Storage in use per mailbox, written by Dovecot itself (its quota_clone plugin, through
    the SQL dict in deploy/dovecot/dovecot-dict-sql.conf.ext) whenever mail is saved or removed."""

    username = models.CharField(max_length=254, primary_key=True, db_collation=ADDRESS_COLLATION)
    bytes = models.BigIntegerField(default=0, db_default=0)
    messages = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "mailbox_usage"
        managed = True

    def __str__(self):
        return f"{self.username}: {self.bytes} bytes"


class DomainTotals(models.Model):
    """A domain's mailbox and alias rows and the quota its mailboxes are given, kept by MariaDB's
    own triggers on virtual_users and virtual_aliases (migration 0009), so that rows written by
    hand in SQL are counted too, and a page of domains costs the same at any size.  Never
    written by the panel; `manage.py domain_totals --recount` rebuilds it."""

    domain = models.OneToOneField(Domain, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                  related_name="totals")
    mailboxes = models.BigIntegerField(default=0)
    aliases = models.BigIntegerField(default=0, help_text="alias rows (one per source → destination)")
    quota_allocated = models.BigIntegerField(default=0, help_text="bytes: the sum of the mailboxes' quotas")

    class Meta:
        db_table = "mailadmin_domain_totals"


class DomainStorage(models.Model):
    """The bytes stored per domain name: the sum of mailbox_usage, kept by triggers on that table
    as Dovecot writes it (migration 0009)."""

    domain = models.CharField(max_length=253, primary_key=True, db_collation=ADDRESS_COLLATION)
    bytes = models.BigIntegerField(default=0)

    class Meta:
        db_table = "mailadmin_domain_storage"


class MailStoreJob(models.Model):
    """Work on the stored mail that the web process never does itself: the mail-store worker
    (`manage.py mailstore work`) carries it out and records the outcome here."""

    ARCHIVE, PURGE, RESTORE = "archive", "purge", "restore"
    PENDING, DONE, FAILED = "pending", "done", "failed"

    action = models.CharField(max_length=16, choices=[(ARCHIVE, "archive"), (PURGE, "purge"), (RESTORE, "restore")])
    state = models.CharField(max_length=16, default=PENDING, db_index=True,
                             choices=[(PENDING, "pending"), (DONE, "done"), (FAILED, "failed")])
    # As in AuditEntry: the id of the domain the mail was stored for, kept after it is deleted.
    domain_id = models.IntegerField(null=True, blank=True, db_index=True)
    domain_name = models.CharField(max_length=253, db_index=True)
    address = models.CharField(max_length=254, blank=True, help_text="empty for a whole domain")
    path = models.CharField(max_length=255, help_text="the folder below the mail root")
    archive = models.CharField(max_length=255, blank=True, help_text="where the archived folder is kept")
    not_before = models.DateTimeField(default=timezone.now)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    requested_by = models.CharField(max_length=255)

    class Meta:
        db_table = "mailadmin_mailstore_job"
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["state", "not_before"], name="mailstore_due")]

    def __str__(self):
        return f"{self.action} {self.address or self.domain_name} ({self.state})"


class DkimKey(models.Model):
    """A domain's DKIM key: its public half and selector (the private half lives where the panel
    cannot read it back: domains/dkim.py).  New mail is signed with the domain's `signing` key.
    A rotation's new key is first only published (`activated` empty: its record shown, not yet
    signing) until an admin activates it; the key it replaces stays published (its DNS record
    shown) so mail signed with it keeps verifying, until an admin retires it."""

    PENDING, SIGNING, REPLACED, RETIRED = "published", "signing", "replaced", "retired"

    RSA, ED25519 = "rsa", "ed25519"
    ALGORITHMS = [(RSA, "RSA 2048"), (ED25519, "Ed25519 (a second signature, RFC 8463)")]

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, db_constraint=False, related_name="dkim_keys")
    selector = models.CharField(max_length=63)
    algorithm = models.CharField(max_length=16, choices=ALGORITHMS, default=RSA)
    public_key = models.TextField(help_text="base64 of the key, as the DNS record's p= tag")
    signing = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    activated = models.DateTimeField(null=True, blank=True, help_text="when it began to sign; empty: not yet")
    retired = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dkim_keys"
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["domain", "selector"], name="dkim_keys_domain_selector")]

    def __str__(self):
        return f"{self.selector}._domainkey.{self.domain.name}"

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain.name}"

    @property
    def state(self) -> str:
        """published (not yet signing), signing, replaced (published, no longer signing) or retired."""
        if self.retired:
            return self.RETIRED
        if self.signing:
            return self.SIGNING
        return self.REPLACED if self.activated else self.PENDING

    @property
    def record_value(self) -> str:
        return f"v=DKIM1; k={self.algorithm}; p={self.public_key}"


class ImportJob(models.Model):
    """A file uploaded in the panel for import: the mail-store worker (`manage.py mailstore work`)
    checks it (the preview: a dry run listing every problem by line) and, once the admin
    confirms, imports it, so that a large file never holds a web request."""

    PREVIEW, IMPORT = "preview", "import"
    PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    actor_label = models.CharField(max_length=255)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=8, choices=[("csv", "CSV"), ("json", "JSON")])
    stored_as = models.CharField(max_length=64, help_text="the file's name in the import folder")
    stage = models.CharField(max_length=16, default=PREVIEW, choices=[(PREVIEW, "preview"), (IMPORT, "import")])
    state = models.CharField(max_length=16, default=PENDING, db_index=True, choices=[
        (PENDING, "pending"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed"), (CANCELLED, "cancelled")])
    lines_total = models.IntegerField(default=0)
    lines_done = models.IntegerField(default=0)
    problems = models.JSONField(default=list, blank=True, help_text="[line, message] pairs, by line")
    summary = models.JSONField(default=dict, blank=True, help_text="domains, mailboxes, aliases")
    outcome = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(default=timezone.now)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "mailadmin_import_job"
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.stage} of {self.file_name} ({self.state})"


class MailboxNearQuota(models.Model):
    """A mailbox using 90 % of its quota or more, kept by MariaDB's triggers (domains/near_quota.py);
    never written by the panel."""

    username = models.CharField(max_length=254, primary_key=True, db_collation=ADDRESS_COLLATION)
    domain = models.ForeignKey(Domain, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                               related_name="+")
    bytes = models.BigIntegerField()
    quota = models.BigIntegerField()

    class Meta:
        db_table = "mailadmin_mailbox_near_quota"
        indexes = [models.Index(fields=["domain", "username"], name="mailbox_near_quota_domain")]
