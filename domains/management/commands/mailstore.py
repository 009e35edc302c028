import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from domains.mailstore import run_due_jobs
from domains.transfer.jobs import run_due_imports
from webhooks.delivery import deliver_due
from webhooks.quota import enqueue_crossings


class Command(BaseCommand):
    help = ("Carries out the mail-store jobs (archive, restore, purge of stored mail) that are due, the imports "
            "queued in the panel, and sends the webhook deliveries that are due (with the quota events MariaDB "
            "recorded).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["work"])
        parser.add_argument("--once", action="store_true", help="run the due jobs and stop")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between looks for work")

    def handle(self, *args, once, interval, **options):
        while True:
            try:
                for job in run_due_jobs():
                    self.stdout.write(f"{job.action} {job.address or job.domain_name}: {job.state}, {job.outcome}")
                for job in run_due_imports():
                    self.stdout.write(f"{job.stage} of {job.file_name} for {job.actor_label}: {job.state}, "
                                      f"{len(job.problems)} problem(s)")
                enqueue_crossings()  # quota events, recorded by MariaDB as Dovecot writes the usage
                for delivery in deliver_due():
                    self.stdout.write(f"webhook {delivery.event_type} {delivery.event_id} to subscription "
                                      f"{delivery.subscription_id}: {delivery.state}")
            except DatabaseError as error:
                if once:
                    raise
                # The database is away (restarted, or down): wait and try again; jobs wait too.
                self.stderr.write(f"database unavailable, trying again in {interval:.0f} s: {error}")
                connections.close_all()
            if once:
                return
            time.sleep(interval)
