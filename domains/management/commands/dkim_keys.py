"""Domains' DKIM keys from the command line, through the same services as the panel and the API.

    manage.py dkim_keys                          # lists each domain's published keys
    manage.py dkim_keys --create-missing         # a key for every domain without one (older domains)
    manage.py dkim_keys --rotate example.org     # a new signing key; the old one stays published
    manage.py dkim_keys --retire example.org m20260101   # stops publishing a replaced key
"""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from domains import services
from domains.addresses import normalize_domain
from domains.audit import Actor
from domains.models import DkimKey, Domain


class Command(BaseCommand):
    help = "Lists, creates, rotates or retires domains' DKIM keys."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--create-missing", action="store_true", help="a key for every domain without one")
        action.add_argument("--rotate", metavar="DOMAIN", help="a new signing key for DOMAIN")
        action.add_argument("--retire", nargs=2, metavar=("DOMAIN", "SELECTOR"), help="stop publishing a key")

    def handle(self, *args, create_missing, rotate, retire, **options):
        actor = Actor.command("dkim_keys")
        if create_missing:
            missing = Domain.objects.exclude(dkim_keys__signing=True)
            for domain in missing:
                key = services.dkim_key_create(actor=actor, domain=domain)
                self.stdout.write(f"{domain.name}: {key.selector}")
        elif rotate:
            key = services.dkim_key_create(actor=actor, domain=self.domain(rotate))
            self.stdout.write(f"{key.domain.name}: {key.selector} signs from now on")
        elif retire:
            key = DkimKey.objects.filter(domain=self.domain(retire[0]), selector=retire[1], retired=None).first()
            if key is None:
                raise CommandError(f"{retire[0]} publishes no key with the selector {retire[1]}.")
            try:
                services.dkim_key_retire(actor=actor, key=key)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(f"{retire[0]}: {retire[1]} retired")
        else:
            published = DkimKey.objects.filter(retired=None).select_related("domain")
            for key in published.order_by("domain__name", "-created"):
                signing = " signing" if key.signing else ""
                self.stdout.write(f"{key.domain.name} {key.selector} {key.algorithm}{signing}")

    def domain(self, name):
        domain = Domain.objects.filter(name=normalize_domain(name)).first()
        if domain is None:
            raise CommandError(f"No domain {name}.")
        return domain
