"""Pre-flight of an existing ISPmail database before `migrate` adopts it; reads only.

    manage.py adopt_check          # exit 0: ready to adopt (or adopted already); 1: blocked
"""
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from domains.adoption.preflight import BLOCKING, preflight


class Command(BaseCommand):
    help = "Checks an existing ISPmail database for what would stop the panel from adopting it (reads only)."

    def handle(self, *args, **options):
        report = preflight(connection)
        write = self.stdout.write
        if report.adopted:
            write(f"Database {report.database}: the panel manages these tables already; nothing to adopt.")
            return
        if report.empty:
            write(f"Database {report.database} has no ISPmail tables: `manage.py migrate` creates them. If your "
                  "Postfix and Dovecot read another database, point MAILADMIN_DB_NAME at that one.")
            return
        counts = ", ".join(f"{table} {count}" for table, count in report.counts.items())
        write(f"Pre-flight of database {report.database}" + (f" (rows: {counts})" if counts else ""))
        for finding in report.findings:
            style = self.style.ERROR if finding.severity == BLOCKING else self.style.WARNING
            write(style(f"\n{finding.severity.upper()}: {finding.title}: {finding.count}"))
            for row in finding.rows:
                write(f"  {row}")
            if finding.count > len(finding.rows):
                write(f"  ... and {finding.count - len(finding.rows)} more")
            if finding.fix:
                write("  fix:")
                for line in finding.fix:
                    write(f"    {line}")
        if report.blocking:
            raise CommandError(f"adoption is blocked by {len(report.blocking)} problem(s) above; fix them (back up"
                               " first: mysqldump) and run adopt_check again. Nothing was changed.")
        write(self.style.SUCCESS("\nReady: `manage.py migrate` adopts these tables in place."))
