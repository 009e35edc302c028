import os
import signal
import threading
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
        # An import may take hours: it runs in a thread of its own (with its own database connection),
        # so mail-store jobs, quota events and webhook deliveries go on meanwhile.  The thread is a
        # daemon: when the worker stops, the process ends and MariaDB rolls back the import's open
        # transaction; the job, left RUNNING, is queued again by the next worker (domains/transfer/jobs.py).
        signal.signal(signal.SIGTERM, _stop)
        failed = []
        imports = threading.Thread(target=self._loop, args=(self._imports, once, interval, failed),
                                   name="imports", daemon=True)
        imports.start()
        try:
            self._loop(self._others, once, interval, failed)
        except KeyboardInterrupt:
            if not imports.is_alive():
                return
            self.stderr.write("stopped (an import under way, if any, was not committed: it runs again at next start)")
            self.stderr.flush()
            self.stdout.flush()
            # Ended at once: Python's own exit would stop the thread inside its hashing or MariaDB's
            # client and abort.  MariaDB sees the connection end and rolls the import back.
            os._exit(0)
        imports.join()
        if failed:
            raise failed[0]

    def _loop(self, work, once, interval, failed):
        try:
            while True:
                try:
                    work()
                except DatabaseError as error:
                    if once:
                        failed.append(error)
                        return
                    # The database is away (restarted, or down): wait and try again; jobs wait too.
                    self.stderr.write(f"database unavailable, trying again in {interval:.0f} s: {error}")
                    connections.close_all()  # this thread's
                if once:
                    return
                time.sleep(interval)
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections.close_all()

    def _imports(self):
        for job in run_due_imports():
            self.stdout.write(f"{job.stage} of {job.file_name} for {job.actor_label}: {job.state}, "
                              f"{len(job.problems)} problem(s)")

    def _others(self):
        for job in run_due_jobs():
            self.stdout.write(f"{job.action} {job.address or job.domain_name}: {job.state}, {job.outcome}")
        enqueue_crossings()  # quota events, recorded by MariaDB as Dovecot writes the usage
        for delivery in deliver_due():
            self.stdout.write(f"webhook {delivery.event_type} {delivery.event_id} to subscription "
                              f"{delivery.subscription_id}: {delivery.state}")


def _stop(signum, frame):
    """SIGTERM (systemd's stop) ends the worker as Ctrl-C does."""
    raise KeyboardInterrupt
