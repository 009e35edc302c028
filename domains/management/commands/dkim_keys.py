"""Domains' DKIM keys from the command line, through the same services as the panel and the API.

    manage.py dkim_keys                          # lists each domain's published keys
    manage.py dkim_keys --create-missing         # a key for every domain without one (older domains)
    manage.py dkim_keys --rotate example.org     # a new key, published but not signing yet
    manage.py dkim_keys --rotate example.org --algorithm ed25519   # a key for a second signature
    manage.py dkim_keys --activate example.org m20260201 [--force]  # it signs once DNS shows its record
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
        action.add_argument("--rotate", metavar="DOMAIN", help="a new key for DOMAIN, published but not signing yet")
        action.add_argument("--activate", nargs=2, metavar=("DOMAIN", "SELECTOR"),
                            help="sign with a published key (once DNS shows its record)")
        parser.add_argument("--force", action="store_true", help="with --activate: even if DNS does not show it")
        parser.add_argument("--algorithm", choices=[name for name, _label in DkimKey.ALGORITHMS], default=DkimKey.RSA,
                            help="with --rotate: ed25519 for a second signature (RFC 8463)")
        action.add_argument("--retire", nargs=2, metavar=("DOMAIN", "SELECTOR"), help="stop publishing a key")

    def handle(self, *args, create_missing, rotate, activate, force, algorithm, retire, **options):
        actor = Actor.command("dkim_keys")
        if create_missing:
            missing = Domain.objects.exclude(dkim_keys__signing=True)
            for domain in missing:
                key = services.dkim_key_create(actor=actor, domain=domain)
                self.stdout.write(f"{domain.name}: {key.selector}")
        elif rotate:
            key = services.dkim_key_create(actor=actor, domain=self.domain(rotate), algorithm=algorithm)
            if key.signing:
                self.stdout.write(f"{key.domain.name}: {key.selector} signs from now on")
            else:
                self.stdout.write(f"{key.domain.name}: {key.selector} published; publish its record in DNS:\n"
                                  f"{key.record_name}. TXT \"{key.record_value}\"\n"
                                  f"then: dkim_keys --activate {key.domain.name} {key.selector}")
        elif activate:
            try:
                services.dkim_key_activate(actor=actor, key=self.key(*activate), force=force)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(f"{activate[0]}: {activate[1]} signs from now on")
        elif retire:
            try:
                services.dkim_key_retire(actor=actor, key=self.key(*retire))
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(f"{retire[0]}: {retire[1]} retired")
        else:
            published = DkimKey.objects.filter(retired=None).select_related("domain")
            for key in published.order_by("domain__name", "-created"):
                self.stdout.write(f"{key.domain.name} {key.selector} {key.algorithm} {key.state}")

    def domain(self, name):
        domain = Domain.objects.filter(name=normalize_domain(name)).first()
        if domain is None:
            raise CommandError(f"No domain {name}.")
        return domain

    def key(self, domain_name, selector):
        key = DkimKey.objects.filter(domain=self.domain(domain_name), selector=selector, retired=None).first()
        if key is None:
            raise CommandError(f"{domain_name} publishes no key with the selector {selector}.")
        return key
