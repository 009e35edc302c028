from django.apps import AppConfig


class MailstackConfig(AppConfig):
    name = "mailstack"

    def ready(self):
        from mailstack import checks  # noqa: F401
