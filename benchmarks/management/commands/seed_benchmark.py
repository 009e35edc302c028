"""Fills an empty database with a large made-up mail system, for `./mailctl bench` to measure against.

The rows go in as SQL `INSERT ... SELECT` from MariaDB's Sequence engine (`seq_0_to_N` tables), in
chunks, past the services on purpose: no audit rows, and one password hash (computed once) for every
mailbox.  It is a load generator for a benchmark database, never a way to create real mailboxes, so
it refuses a database that has domains unless told to `--replace` them.

Mailbox n is `user<n>@d<domain>.example`; a few large domains (`--large-domains`) hold a share of
all mailboxes (`--large-share`) and the others share the rest evenly, as at a provider with some
big customers and many small ones; each domain's addresses are spread over the whole address order.
Each domain has `postmaster@`, `abuse@` and more aliases up to `--aliases-per-domain`, and every
mailbox has a storage figure as Dovecot would have written it.
"""
import secrets
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from domains.models import Alias, Domain, DomainStorage, DomainTotals, Mailbox, MailboxUsage
from domains.passwords import hash_password

CHUNK = 100_000
BAR = 30
MIB = 2**20
QUOTA = 1024 * MIB
SUPERADMIN, DOMAIN_ADMIN = "bench", "bench-admin"


class Layout:
    """Which domain each mailbox number belongs to, the same in Python and in SQL.

    Out of every 1,000 consecutive numbers, the first `large_slots` go to the large domains in
    turn and the others to the small domains in turn; so every domain's addresses are spread
    over the whole address order, as real local parts (anna@, ben@…) are.
    """

    BLOCK = 1000

    def __init__(self, *, mailboxes: int, domains: int, large_domains: int, large_share: float):
        self.mailboxes, self.domains = mailboxes, domains
        self.large_slots = round(large_share * self.BLOCK) if large_domains > 0 and domains > 1 else 0
        self.large = min(large_domains, domains - 1) if self.large_slots else 0
        self.small = domains - self.large
        self.small_slots = self.BLOCK - self.large_slots
        blocks, rest = divmod(mailboxes, self.BLOCK)
        self.in_large = blocks * self.large_slots + min(rest, self.large_slots)
        if mailboxes - self.in_large < self.small or self.in_large < self.large:
            raise CommandError("Too few mailboxes: every domain needs at least one.")
        self.domain_digits = max(5, len(str(domains - 1)))
        self.mailbox_digits = max(6, len(str(mailboxes - 1)))

    def domain_of_sql(self, number: str) -> str:
        """SQL for the 0-based domain index of mailbox `number` (an SQL expression)."""
        block, slot = f"({number} DIV {self.BLOCK})", f"({number} MOD {self.BLOCK})"
        large_rank = f"{block} * {self.large_slots} + {slot}"
        small_rank = f"{block} * {self.small_slots} + {slot} - {self.large_slots}"
        return (f"IF({slot} < {self.large_slots}, ({large_rank}) MOD {max(self.large, 1)},"
                f" {self.large} + ({small_rank}) MOD {self.small})")

    def first_mailbox_sql(self, domain: str) -> str:
        """SQL for the number of the first mailbox of domain index `domain`."""
        small_rank = f"({domain} - {self.large})"
        return (f"IF({domain} < {self.large},"
                f" {domain} DIV {max(self.large_slots, 1)} * {self.BLOCK} + {domain} MOD {max(self.large_slots, 1)},"
                f" {small_rank} DIV {self.small_slots} * {self.BLOCK} + {self.large_slots}"
                f" + {small_rank} MOD {self.small_slots})")

    def domain_name_sql(self, domain: str) -> str:
        return f"CONCAT('d', LPAD({domain}, {self.domain_digits}, '0'), '.example')"

    def address_sql(self, number: str, domain: str) -> str:
        return f"CONCAT('user', LPAD({number}, {self.mailbox_digits}, '0'), '@', {self.domain_name_sql(domain)})"

    def domain_name(self, domain: int) -> str:
        return f"d{domain:0{self.domain_digits}d}.example"


class Command(BaseCommand):
    help = ("Fills an empty database with made-up domains, mailboxes and aliases for benchmarks "
            "(SQL bulk inserts, one shared password hash), and the admins `bench` and `bench-admin`.")

    def add_arguments(self, parser):
        parser.add_argument("--mailboxes", type=int, default=1_000_000)
        parser.add_argument("--domains", type=int, default=10_000)
        parser.add_argument("--aliases-per-domain", type=int, default=10)
        parser.add_argument("--large-domains", type=int, default=3,
                            help="how many domains are much larger than the others (default 3)")
        parser.add_argument("--large-share", type=float, default=0.1,
                            help="the share of all mailboxes in the large domains (default 0.1)")
        parser.add_argument("--password", default="benchmark mailbox password",
                            help="the password of every mailbox (hashed once)")
        parser.add_argument("--replace", action="store_true",
                            help="delete every domain, mailbox, alias and storage figure first")

    def handle(self, *args, mailboxes, domains, aliases_per_domain, large_domains, large_share, password, replace,
               **options):
        if connection.vendor != "mysql":
            raise CommandError("seed_benchmark needs MariaDB (its Sequence engine).")
        if domains < 1 or mailboxes < 1 or aliases_per_domain < 0 or not 0 <= large_share < 1:
            raise CommandError("Give at least one domain and one mailbox, and a --large-share below 1.")
        if aliases_per_domain > 100:
            raise CommandError("At most 100 aliases per domain.")
        layout = Layout(mailboxes=mailboxes, domains=domains, large_domains=large_domains, large_share=large_share)
        if Domain.objects.exists() or MailboxUsage.objects.exists():
            if not replace:
                raise CommandError("The database has domains or storage figures already; "
                                   "give --replace to delete them all first.")
            self.empty_mail_tables()

        started = time.monotonic()
        password_hash = hash_password(password)
        self.stdout.write(f"one password hash for every mailbox, {password_hash[:24]}…, "
                          f"in {time.monotonic() - started:.1f} s")
        self.insert_domains(layout)
        self.insert_mailboxes(layout, password_hash)
        self.insert_aliases(layout, aliases_per_domain)
        self.insert_usage(layout)
        with connection.cursor() as cursor:
            for model in (Domain, Mailbox, Alias, MailboxUsage):
                cursor.execute(f"ANALYZE TABLE {model._meta.db_table}")
                cursor.fetchall()
        self.create_admins(layout)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Seeded {domains:,} domains, {mailboxes:,} mailboxes, {domains * aliases_per_domain:,} aliases in "
            f"{elapsed:.1f} s ({mailboxes / elapsed:,.0f} mailboxes/s overall)."))

    def empty_mail_tables(self):
        self.stdout.write("Deleting the existing domains, mailboxes, aliases and storage figures…")
        tables = [Mailbox._meta.db_table, Alias._meta.db_table, MailboxUsage._meta.db_table,
                  get_user_model().domains.through._meta.db_table, Domain._meta.db_table,
                  DomainTotals._meta.db_table, DomainStorage._meta.db_table]
        with connection.cursor() as cursor:
            # TRUNCATE is instant where DELETE of a million rows takes minutes; the foreign keys
            # would refuse it for virtual_domains, whose rows go in the same step.
            cursor.execute("SET SESSION foreign_key_checks = 0")
            try:
                for table in tables:
                    cursor.execute(f"TRUNCATE TABLE {table}")
            finally:
                cursor.execute("SET SESSION foreign_key_checks = 1")

    def insert_in_chunks(self, what: str, total: int, sql_for_range, chunk: int = CHUNK):
        """Runs sql_for_range(first, last) for consecutive 0-based ranges, one transaction each."""
        started = time.monotonic()
        with connection.cursor() as cursor:
            for first in range(0, total, chunk):
                last = min(first + chunk, total) - 1
                sql, params = sql_for_range(first, last)
                with transaction.atomic():
                    cursor.execute(sql, params)
                self.progress(what, last + 1, total, time.monotonic() - started)

    def progress(self, what: str, done: int, total: int, elapsed: float):
        """A progress bar, redrawn in place on a terminal (one line per step in a log)."""
        filled = round(BAR * done / total)
        line = (f"  {what:<21} [{'#' * filled}{'.' * (BAR - filled)}] {done:>10,} / {total:,}  {elapsed:6.1f} s  "
                f"{done / max(elapsed, 1e-9):>9,.0f} rows/s")
        self.stdout.write(line, ending="\n" if done == total or not self.stdout.isatty() else "\r")
        self.stdout.flush()

    def insert_domains(self, layout: Layout):
        def sql(first, last):
            return (f"INSERT INTO {Domain._meta.db_table} (id, name, default_quota, description)"
                    f" SELECT seq + 1, {layout.domain_name_sql('seq')}, %s,"
                    f" IF(seq < {layout.large}, 'A large customer', '')"
                    f" FROM seq_{first}_to_{last}"), [QUOTA]

        self.insert_in_chunks("domains", layout.domains, sql)

    def insert_mailboxes(self, layout: Layout, password_hash: str):
        def sql(first, last):
            # Every 50th mailbox is suspended; ids and domain ids follow the numbers, so the
            # rows go into the primary key and the address index in order.
            return (f"INSERT INTO {Mailbox._meta.db_table}"
                    " (id, domain_id, email, password, quota, active, display_name)"
                    f" SELECT seq + 1, domain + 1, {layout.address_sql('seq', 'domain')}, %s, %s,"
                    " seq MOD 50 <> 49, CONCAT('User ', seq)"
                    f" FROM (SELECT seq, {layout.domain_of_sql('seq')} AS domain FROM seq_{first}_to_{last}) AS numbers"
                    ), [password_hash, QUOTA]

        self.insert_in_chunks("mailboxes", layout.mailboxes, sql)

    def insert_aliases(self, layout: Layout, per_domain: int):
        if not per_domain:
            return

        def sql(first, last):
            # Each domain's aliases all go to its first mailbox.
            return (f"INSERT INTO {Alias._meta.db_table} (domain_id, source, destination)"
                    " SELECT domain.seq + 1,"
                    " CONCAT(CASE alias.seq WHEN 0 THEN 'postmaster' WHEN 1 THEN 'abuse'"
                    " ELSE CONCAT('team', LPAD(alias.seq - 1, 2, '0')) END,"
                    f" '@', {layout.domain_name_sql('domain.seq')}),"
                    f" {layout.address_sql(layout.first_mailbox_sql('domain.seq'), 'domain.seq')}"
                    f" FROM seq_{first}_to_{last} AS domain JOIN seq_0_to_{per_domain - 1} AS alias"
                    " ORDER BY domain.seq, alias.seq"), []

        self.insert_in_chunks("domains with aliases", layout.domains, sql, chunk=max(CHUNK // per_domain, 1))

    def insert_usage(self, layout: Layout):
        def sql(first, last):
            # A made-up but repeatable figure between 0 and 999 MiB, about 50 kB a message.
            return (f"INSERT INTO {MailboxUsage._meta.db_table} (username, bytes, messages)"
                    " SELECT email, (id * 2654435761 MOD 1000) * %s, (id * 2654435761 MOD 1000) * 20"
                    f" FROM {Mailbox._meta.db_table} WHERE id BETWEEN %s AND %s"), [MIB, first + 1, last + 1]

        self.insert_in_chunks("storage figures", layout.mailboxes, sql)

    def create_admins(self, layout: Layout):
        users = get_user_model()
        names = [layout.domain_name(index) for index in (0, layout.domains // 2, layout.domains - 1)]
        for username, is_superuser in ((SUPERADMIN, True), (DOMAIN_ADMIN, False)):
            user = users.objects.filter(username=username).first() or users(username=username)
            user.is_superuser = user.is_staff = is_superuser
            password = secrets.token_urlsafe(18)
            user.set_password(password)
            user.save()
            if not is_superuser:
                user.domains.set(Domain.objects.filter(name__in=names))
            self.stdout.write(f"admin {username} ({'superadmin' if is_superuser else 'of ' + ', '.join(names)}),"
                              f" password: {password}")
