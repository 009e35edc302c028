from django.apps import AppConfig


class MailadminConfig(AppConfig):
    """The project package as an app, for its system checks."""

    name = "mailadmin"

    def ready(self):
        from mailadmin import checks  # noqa: F401
