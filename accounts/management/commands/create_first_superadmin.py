import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Creates the first superadmin with a random password, printed once; does nothing if one exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superadmin exists already; no account was created.")
            return
        password = secrets.token_urlsafe(18)
        users.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(self.style.SUCCESS(
            f"Created the first superadmin.\n  username: {username}\n  password: {password}\n"
            "This password is shown only this once."))
