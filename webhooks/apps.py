from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from domains import audit
        from webhooks import outbox

        # Every audit row passes here, in its change's transaction: the one place events come from.
        audit.AFTER_RECORD.append(outbox.enqueue)
