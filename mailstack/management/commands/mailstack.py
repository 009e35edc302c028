from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mailstack import stack
from mailstack.daemons import StackError
from mailstack.production.install import InstallError, install
from mailstack.render import UnsafeOutput, write_all


class Command(BaseCommand):
    help = ("Starts, stops or shows the bundled mail stack, renders the daemons' configurations, or installs "
            "mailadmin on this host (install: run through `./mailctl install`, see docs/production.md).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["up", "down", "status", "render", "install"])
        parser.add_argument("--profile", choices=["private", "production"], default="production",
                            help="with render: which configuration to write (default: production)")
        parser.add_argument("--output", type=Path,
                            help="with render: the folder to write to (made if missing; if it exists, it must be "
                                 "yours and writable by nobody else)")

    def handle(self, *args, action, profile, output, **options):
        try:
            if action == "up":
                stack.up(log=self.stdout.write)
            elif action == "down":
                stack.down(log=self.stdout.write)
            elif action == "status":
                states = stack.status()
                for name, running in states.items():
                    self.stdout.write(f"{name:15} {'running' if running else 'stopped'}")
                if not all(states.values()):
                    raise CommandError("not every daemon is running")
            elif action == "install":
                install(log=self.stdout.write)
            else:
                if output is None:
                    raise CommandError("render needs --output FOLDER")
                for path in write_all(output, profile):
                    self.stdout.write(str(path))
        except (StackError, UnsafeOutput, InstallError) as error:
            raise CommandError(str(error)) from error
