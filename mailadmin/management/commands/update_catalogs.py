"""`manage.py update_catalogs`: brings every catalog under locale/ up to date with the strings
marked in the code and templates (Django's makemessages, with this project's options): new
strings arrive with an empty translation, strings no longer used are dropped.  Run it from the
checkout's root after marking strings; then translate the empty entries (docs/translations.md)."""
from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.utils.translation import to_locale

# Folders that hold no string of the panel's own (third-party code, data, the suite, docs).
IGNORED = [".venv", "node_modules", "var", "static", "site", "artifacts", "tests", "benchmarks", "docs"]


SOURCE_LANGUAGE = "en"  # the language of the msgids: it needs no catalog


def translated_languages() -> list[str]:
    """The catalogs' folder names under locale/: a language code as gettext spells it (pt-br is
    pt_BR; makemessages refuses the code itself)."""
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def update(languages, verbosity=0):
    call_command("makemessages", locale=list(languages), ignore_patterns=IGNORED, no_location=True,
                 no_obsolete=True, verbosity=verbosity)


class Command(BaseCommand):
    help = "Updates every translation catalog under locale/ from the strings marked in the code and templates."

    def handle(self, *args, verbosity=1, **options):
        update(translated_languages(), verbosity=verbosity)
