from django.core.management.base import BaseCommand, CommandError

from mailstack.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restores the database, the mail folders and the secrets from a backup archive (the latest by default); "
            "refuses while this host holds mail data, unless --force (docs/backups.md).")

    def add_arguments(self, parser):
        parser.add_argument("archive", nargs="?", help="the archive's name (`manage.py backup --list`)")
        parser.add_argument("--force", action="store_true",
                            help="replace the data this host holds now with the archive's")

    def handle(self, *args, archive, force, **options):
        try:
            name = restore(archive, force=force, log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"restored {name}")
