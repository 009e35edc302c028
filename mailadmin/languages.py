"""The languages the panel and the owners' pages speak: a code and the language's own name (the
language menu shows each in itself).  Adding a language is one line here and one folder
`locale/<code>/LC_MESSAGES/django.po` (docs/translations.md).  Imports nothing from Django:
mailadmin/config.py validates `MAILADMIN_LANGUAGE` against these codes."""

LANGUAGES = (
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt-br", "Português (Brasil)"),
    ("pl", "Polski"),
)
CODES = tuple(code for code, _ in LANGUAGES)
