from django.apps import AppConfig


class MailstackConfig(AppConfig):
    name = "mailstack"
