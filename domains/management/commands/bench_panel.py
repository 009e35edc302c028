"""Measures the panel's server time on its list and search pages, in-process: each request goes
through Django's whole handling (middleware, session, views, SQL, templates) with
`django.test.Client`, as the admins that `seed_benchmark` creates.  Not a test: it reports figures.

Run it against a database filled by `seed_benchmark`, never the test stack's.
"""
import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.testing import sign_in_with_second_factor
from domains.models import Domain, Mailbox
from domains.views.common import PAGE_SIZE

TARGET_MS = 50.0
QUERY_SAMPLES = 5
MAILBOX_ROW = "<td>user"  # the start of a mailbox row in the lists
DOMAIN_ROW = '<td><a href="/domains/'


@dataclass
class Case:
    name: str
    admin: str
    url: str
    expect: str = ""
    times_ms: list[float] = field(default_factory=list, repr=False)
    queries: int = 0
    sql_ms: float = 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]

    def summary(self) -> dict:
        return {**{key: value for key, value in asdict(self).items() if key != "times_ms"},
                "median_ms": round(self.median, 2), "p95_ms": round(self.p95, 2),
                "min_ms": round(min(self.times_ms), 2), "samples": len(self.times_ms),
                "times_ms": [round(value, 2) for value in self.times_ms]}


class Command(BaseCommand):
    help = ("Measures the server time of the mailbox and domain lists and searches (median, p95, min and SQL "
            "queries per request) as a superadmin and as a domain admin, against a seed_benchmark database.")

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (default 30)")
        parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first (default 3)")
        parser.add_argument("--superadmin", default="bench")
        parser.add_argument("--domain-admin", default="bench-admin")
        parser.add_argument("--deep-page", type=int, default=5000, help="which page is the deep one (default 5000)")
        parser.add_argument("--prefix", default="user0001", help="what the address search looks for (default user0001)")
        parser.add_argument("--only", default="", help="only the pages whose name contains this")
        parser.add_argument("--json", dest="json_path", help="also write the figures to this file")

    def handle(self, *args, repeat, warmup, superadmin, domain_admin, deep_page, prefix, only, json_path,
               **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        users = get_user_model()
        admins = {}
        for username, must_be_superuser in ((superadmin, True), (domain_admin, False)):
            user = users.objects.filter(username=username).first()
            if user is None or user.is_superuser != must_be_superuser:
                raise CommandError(f"No {'super' if must_be_superuser else 'domain '}admin {username!r}; "
                                   "run seed_benchmark first.")
            client = Client(SERVER_NAME="localhost")
            if user.is_superuser:
                sign_in_with_second_factor(client, user)
            else:
                client.force_login(user)
            admins[username] = client

        mailbox_total, domain_total = Mailbox.objects.count(), Domain.objects.count()
        self.stdout.write(f"{mailbox_total:,} mailboxes in {domain_total:,} domains; {repeat} timed requests per "
                          f"page after {warmup} warm-ups; target: median <= {TARGET_MS:.0f} ms\n")
        cases = [case for case in self.cases(admins[superadmin], superadmin, domain_admin, deep_page, prefix)
                 if only in case.name]
        for case in cases:
            self.measure(case, admins[case.admin], repeat=repeat, warmup=warmup)
            self.stdout.write(f"  {case.name}: median {case.median:.1f} ms", ending="\n")
        self.stdout.write("\n" + self.table(cases))
        if json_path:
            figures = {"mailboxes": mailbox_total, "domains": domain_total, "repeat": repeat, "warmup": warmup,
                       "target_ms": TARGET_MS, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                       "pages": [case.summary() for case in cases]}
            with open(json_path, "w") as file:
                json.dump(figures, file, indent=2)
            self.stdout.write(f"Figures written to {json_path}.")

    def cases(self, superadmin_client, superadmin, domain_admin, deep_page, prefix) -> list[Case]:
        largest = (Mailbox.objects.values("domain").annotate(mailboxes=Count("id")).order_by("-mailboxes")
                   .first())
        if largest is None:
            raise CommandError("There are no mailboxes; run seed_benchmark first.")
        in_largest = Mailbox.objects.filter(domain=largest["domain"]).order_by("email").values_list("email", flat=True)
        halfway = in_largest[largest["mailboxes"] // 2]
        domains = Domain.objects.order_by("name")
        typical = domains[domains.count() // 2]
        # The domain admin searches for the start of the first address in their own domains.
        own = (Mailbox.objects.filter(domain__admins__username=domain_admin).order_by("email")
               .values_list("email", flat=True).first() or prefix)[:len(prefix)]
        return [
            Case("mailbox list, page 1", superadmin, "/mailboxes/", expect=MAILBOX_ROW),
            Case(f"mailbox list, page {deep_page:,}", superadmin, self.deep_url(superadmin_client, deep_page),
                 expect=MAILBOX_ROW),
            Case("mailbox search, address prefix", superadmin, f"/mailboxes/?q={prefix}", expect=f"<td>{prefix}"),
            Case("mailbox search, no match", superadmin, "/mailboxes/?q=nobody", expect="No mailboxes match"),
            Case("domain list, page 1", superadmin, "/", expect=DOMAIN_ROW),
            Case("domain list, name prefix", superadmin, "/?q=d0004", expect='">d0004'),
            Case(f"domain page, largest ({largest['mailboxes']:,} mailboxes)", superadmin,
                 f"/domains/{largest['domain']}/", expect=MAILBOX_ROW),
            Case(f"domain page, largest, halfway (after {halfway})", superadmin,
                 f"/domains/{largest['domain']}/?" + urlencode({"after": halfway}), expect=MAILBOX_ROW),
            Case(f"domain page, typical ({typical.mailboxes.count():,} mailboxes)", superadmin,
                 f"/domains/{typical.pk}/", expect=MAILBOX_ROW),
            Case("domain admin: mailbox list", domain_admin, "/mailboxes/", expect=MAILBOX_ROW),
            Case("domain admin: mailbox search", domain_admin, f"/mailboxes/?q={own}", expect=f"<td>{own}"),
            Case("domain admin: domain list", domain_admin, "/", expect=DOMAIN_ROW),
        ]

    def deep_url(self, client, page_number) -> str:
        """The deep page as the list links to it: by number, or after the address that ends the
        page before it where the list pages by address."""
        first_page = client.get("/mailboxes/").content.decode()
        if "after=" not in first_page:
            return f"/mailboxes/?page={page_number}"
        rows_before = (page_number - 1) * PAGE_SIZE
        address = Mailbox.objects.order_by("email").values_list("email", flat=True)[rows_before - 1]
        return "/mailboxes/?" + urlencode({"after": address})

    def measure(self, case: Case, client: Client, *, repeat: int, warmup: int):
        for _ in range(warmup):
            self.fetch(case, client)
        for _ in range(repeat):
            started = time.perf_counter()
            self.fetch(case, client)
            case.times_ms.append((time.perf_counter() - started) * 1000)
        samples = []
        for _ in range(QUERY_SAMPLES):
            with CaptureQueriesContext(connection) as captured:
                self.fetch(case, client)
            samples.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
            case.queries = len(captured)
        case.sql_ms = round(statistics.median(samples), 2)

    def fetch(self, case: Case, client: Client):
        response = client.get(case.url)
        if response.status_code != 200:
            raise CommandError(f"{case.name}: {case.url} answered {response.status_code}, not 200.")
        if case.expect and case.expect not in response.content.decode():
            raise CommandError(f"{case.name}: {case.url} does not show {case.expect!r}.")

    def table(self, cases: list[Case]) -> str:
        lines = ["| page | URL | median ms | p95 ms | min ms | SQL queries | SQL ms (median) | ≤ 50 ms |",
                 "|---|---|---:|---:|---:|---:|---:|:---:|"]
        for case in cases:
            url = case.url if len(case.url) <= 60 else case.url[:57] + "…"
            lines.append(f"| {case.name} ({case.admin}) | `{url}` | {case.median:.1f} | {case.p95:.1f} | "
                         f"{min(case.times_ms):.1f} | {case.queries} | {case.sql_ms:.1f} | "
                         f"{'yes' if case.median <= TARGET_MS else '**no**'} |")
        return "\n".join(lines) + "\n"
