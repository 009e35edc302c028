from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from domains.audit import Actor


class Command(BaseCommand):
    help = ("Turns off two-factor sign-in for an admin who lost both the authenticator app and the recovery "
            "codes; at the next sign-in they set it up again (superadmins must).")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No admin with the username {username!r}.")
        services.two_factor_disable(actor=Actor.command("two_factor_reset"), user=user)
        self.stdout.write(self.style.SUCCESS(f"Two-factor sign-in is off for {user.get_username()}."))
