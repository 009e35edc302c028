"""`manage.py lookup_cache flush`: empties Postfix's lookup cache, after changes made in the
database by hand (the panel's own changes update it by themselves)."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from domains import lookup_cache


class Command(BaseCommand):
    help = "Empties Postfix's lookup cache (memcached), so that Postfix asks MariaDB again about every address."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["flush"])

    def handle(self, *args, **options):
        if not settings.MAILADMIN_POSTFIX_LOOKUP_CACHE:
            raise CommandError("Postfix's lookup cache is off (MAILADMIN_POSTFIX_LOOKUP_CACHE).")
        if not lookup_cache.flush_now():
            raise CommandError(f"Could not reach memcached at {lookup_cache.socket()}.")
        self.stdout.write("Postfix's lookup cache is empty: Postfix asks MariaDB again about every address.")
