"""Webhook subscriptions and their outbox: one delivery row per event and subscription, written in
the transaction of the change the event reports, and each attempt the worker made to send it."""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Subscription(models.Model):
    """A URL that receives the events of `event_types`, signed with `secret`.  Owned by an API key
    (events of the key's domains only) or by a superadmin (every domain)."""

    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=80, help_text="signs each delivery; shown once, when it is made")
    description = models.CharField(max_length=200, blank=True)
    api_key = models.ForeignKey("api.ApiKey", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    active = models.BooleanField(default=True, db_index=True)  # every change reads the active ones
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "mailadmin_webhook"
        ordering = ["-id"]

    def __str__(self):
        return f"webhook {self.pk} → {self.url}"


class Delivery(models.Model):
    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
    STATES = [(PENDING, "pending"), (DELIVERED, "delivered"), (FAILED, "failed")]

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, help_text="the same in every attempt: receivers deduplicate by it")
    event_type = models.CharField(max_length=64)
    domain_name = models.CharField(max_length=253, blank=True)
    body = models.TextField(help_text="the JSON sent, byte for byte the same in every attempt")
    created = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=STATES, default=PENDING)
    next_attempt = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "mailadmin_webhook_delivery"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["state", "next_attempt"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event_type} {self.event_id} ({self.state})"


class Attempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "mailadmin_webhook_attempt"
        ordering = ["id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class QuotaCrossing(models.Model):
    """A mailbox's storage rose past 80% or 100% of its quota: written by MariaDB triggers on
    mailbox_usage as Dovecot's quota_clone updates it (webhooks/quota.py), read and removed by the
    worker, which turns each into its event."""

    mailbox = models.CharField(max_length=254)
    domain_id = models.BigIntegerField(null=True)
    percent = models.PositiveSmallIntegerField()  # the threshold crossed: 80 or 100
    bytes_used = models.BigIntegerField()
    quota = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        db_table = "mailadmin_quota_crossing"
        ordering = ["id"]
