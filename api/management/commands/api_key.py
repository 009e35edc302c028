"""`manage.py api_key create|revoke|list|cleanup`: superadmins' tool for the REST API's keys."""
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.idempotency import purge_expired
from api.models import ACTIONS, NAMED_ONLY, ApiKey
from api.services import api_key_create, api_key_revoke
from domains.addresses import normalize_domain
from domains.audit import Actor
from domains.models import Domain


class Command(BaseCommand):
    help = "Create, revoke or list API keys. A new key is printed once and stored only as a hash."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="create a key and print it (once)")
        create.add_argument("--name", required=True)
        scope = create.add_mutually_exclusive_group(required=True)
        scope.add_argument("--domain", action="append", default=[], help="a domain the key may act on (repeat)")
        scope.add_argument("--all-domains", action="store_true")
        create.add_argument("--read-only", action="store_true")
        create.add_argument("--expires-days", type=int, help="the key stops working after this many days")
        create.add_argument("--allow", action="append", default=[], choices=ACTIONS, metavar="ACTION",
                            help=f"only these actions (repeat); default all but {', '.join(sorted(NAMED_ONLY))}: "
                                 f"{', '.join(ACTIONS)}")
        revoke = commands.add_parser("revoke", help="revoke a key at once")
        revoke.add_argument("prefix")
        commands.add_parser("list", help="list the keys (never their secrets)")
        commands.add_parser("cleanup", help="remove stored Idempotency-Key answers older than 24 hours")

    def handle(self, *args, command, **options):
        actor = Actor.command("api_key")
        try:
            getattr(self, f"_{command}")(actor, **options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def _create(self, actor, *, name, domain, all_domains, read_only, expires_days, allow, **_):
        names = [normalize_domain(each) for each in domain]
        domains = list(Domain.objects.filter(name__in=names))
        missing = set(names) - {each.name for each in domains}
        if missing:
            raise CommandError(f"No such domain: {', '.join(sorted(missing))}")
        expires = timezone.now() + timedelta(days=expires_days) if expires_days else None
        key, plaintext = api_key_create(actor=actor, name=name, all_domains=all_domains, domains=domains,
                                        read_only=read_only, allowed_actions=allow, expires=expires)
        self.stdout.write(f"Created API key {key.prefix} ({key.name}). It is shown only this once:")
        self.stdout.write(plaintext)

    def _revoke(self, actor, *, prefix, **_):
        key = ApiKey.objects.filter(prefix=prefix.removeprefix("mak_")[:8]).first()
        if key is None:
            raise CommandError(f"No API key with prefix {prefix}")
        api_key_revoke(actor=actor, key=key)
        self.stdout.write(f"Revoked API key {key.prefix} ({key.name}).")

    def _cleanup(self, actor, **_):
        self.stdout.write(f"Removed {purge_expired()} expired Idempotency-Key answers.")

    def _list(self, actor, **_):
        for key in ApiKey.objects.prefetch_related("domains"):
            scope = "all domains" if key.all_domains else ", ".join(d.name for d in key.domains.all())
            state = "revoked" if key.revoked else ("expired" if not key.is_usable() else "active")
            self.stdout.write(
                f"{key.prefix}  {key.name}  [{scope}]  {'read-only' if key.read_only else 'read-write'}  "
                f"actions={','.join(key.allowed_actions) or 'all'}  expires={key.expires or 'never'}  "
                f"last_used={key.last_used or 'never'}  {state}")
