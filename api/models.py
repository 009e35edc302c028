"""API keys for billing systems: shown once, stored only as a SHA-256 hash, scoped to domains."""
from django.conf import settings
from django.db import models
from django.utils import timezone

# Every write the API offers; a key's `allowed_actions` is a subset (empty = all of them but NAMED_ONLY).
ACTIONS = (
    "domain.create", "domain.update", "domain.suspend", "domain.delete", "domain.dkim",
    "mailbox.create", "mailbox.update", "mailbox.set_password", "mailbox.suspend", "mailbox.delete",
    "mailbox.rename", "mailbox.rules", "mailbox.restore",
    "alias.create", "alias.update", "alias.delete",
    "api_key.manage", "admin.manage",
    "webhook.manage",  # registering URLs the server will POST to: see docs/webhooks.md
)
# Given only by name, never by an empty list ("every action"): a key that makes keys or panel
# accounts is a deliberate choice, not something a key made before these existed gains.
NAMED_ONLY = frozenset({"api_key.manage", "admin.manage"})


class ApiKey(models.Model):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8, unique=True, help_text="the key's first 8 characters, shown in lists")
    key_hash = models.CharField(max_length=64, help_text="SHA-256 (hex) of the whole key")
    all_domains = models.BooleanField(default=False)
    domains = models.ManyToManyField("domains.Domain", blank=True, related_name="+")
    read_only = models.BooleanField(default=False)
    allowed_actions = models.JSONField(default=list, blank=True,
                                       help_text="empty = every action but api_key.manage and admin.manage")
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
                               help_text="the key that made this one through the API (its scope is the ceiling)")

    class Meta:
        db_table = "mailadmin_api_key"
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.prefix} {self.name}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)

    def allows(self, action: str) -> bool:
        return action in self.actions()

    def actions(self) -> set[str]:
        return set(self.allowed_actions) if self.allowed_actions else set(ACTIONS) - NAMED_ONLY


class IdempotentRequest(models.Model):
    """A POST made with an `Idempotency-Key` header: claimed (status null) when it starts, then
    completed with the response that a retry with the same key and body gets back."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path, body and API key")
    created = models.DateTimeField(default=timezone.now)
    status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="null while in progress")
    headers = models.JSONField(default=dict)
    body = models.BinaryField(default=b"")

    class Meta:
        db_table = "mailadmin_api_idempotency"
        constraints = [models.UniqueConstraint(fields=["key", "idempotency_key"], name="api_idempotency_unique")]
        indexes = [models.Index(fields=["key", "created"], name="api_idempotency_key_created")]

    def __str__(self):
        return f"{self.key_id}:{self.idempotency_key}"
