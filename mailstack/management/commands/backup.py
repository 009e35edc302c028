from django.core.management.base import BaseCommand, CommandError

from mailstack.backup import BackupError, archives, backup


class Command(BaseCommand):
    help = ("Backs up the database, the mail folders, the secrets and the configuration into the encrypted borg "
            "repository (MAILADMIN_BACKUP_REPOSITORY), then prunes old archives (docs/backups.md).")

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", dest="list_archives",
                            help="list the repository's archives instead, oldest first")

    def handle(self, *args, list_archives, **options):
        try:
            if list_archives:
                for name in archives():
                    self.stdout.write(name)
            else:
                backup(log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
