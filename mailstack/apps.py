from django.apps import AppConfig


class MailstackConfig(AppConfig):
    name = "mailstack"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from mailstack import checks  # noqa: F401
        from mailstack.metrics import locked_out, signin_failed

        user_login_failed.connect(signin_failed, dispatch_uid="mailstack.metrics.signin_failed")
        user_locked_out.connect(locked_out, dispatch_uid="mailstack.metrics.locked_out")
