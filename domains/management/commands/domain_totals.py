"""The per-domain totals and the list of mailboxes near their quota that MariaDB's triggers keep
(domains/totals.py, domains/near_quota.py), checked against the rows.

    manage.py domain_totals            # exit 0: every total is right; 1: some differ (listed)
    manage.py domain_totals --recount  # rebuilds them all from the rows (after a TRUNCATE, say)
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from domains import near_quota, totals

LISTED = 20


class Command(BaseCommand):
    help = ("Checks the per-domain totals and the mailboxes near their quota against the rows, or rebuilds them"
            " with --recount.")

    def add_arguments(self, parser):
        parser.add_argument("--recount", action="store_true", help="rebuild every total from the rows")

    def handle(self, *args, recount, **options):
        with connection.cursor() as cursor:
            if recount:
                totals.recount(cursor)
                near_quota.recount(cursor)
                self.stdout.write(self.style.SUCCESS("Every domain's totals were counted again from the rows."))
                return
            drift = totals.check(cursor)
            near = near_quota.check(cursor)
        for what, names in (("domain(s) with wrong mailbox, alias or quota totals", drift.domains),
                            ("domain(s) with wrong stored bytes", drift.storage),
                            ("mailbox(es) wrongly listed near their quota or left out", near)):
            if names:
                shown = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
                self.stdout.write(self.style.ERROR(f"{len(names)} {what}: {shown}"))
        if drift.domains or drift.storage or near:
            raise CommandError("Rows were changed where triggers do not see it (a TRUNCATE?): "
                               "run `manage.py domain_totals --recount`.")
        self.stdout.write(self.style.SUCCESS("Every domain's totals match its rows."))
