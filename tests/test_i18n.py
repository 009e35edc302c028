"""Translations (docs/translations.md): the language a page speaks (browser, language menu,
the admin's or owner's stored choice, the settings' default)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

from accounts.models import User
from mailadmin.management.commands import update_catalogs
from mailadmin.template_text import untranslated
from selfservice.models import MailboxRules
from tests.selfservice.conftest import signed_in
from tests.signin import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def speaks(response, language):
    assert response.status_code == 200, response.status_code
    return f'<html lang="{language}">' in response.content.decode()


def test_without_accept_language_pages_are_english(client):
    assert speaks(client.get("/login/"), "en")


def test_the_browsers_language_is_spoken(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert speaks(response, "de") and "Sprache" in response.content.decode()
    assert speaks(client.get("/login/", HTTP_ACCEPT_LANGUAGE="ja"), "en")  # no catalog: the default


@pytest.mark.parametrize("accept, language, word", [("nl-NL,nl;q=0.9", "nl", "Taal"),
                                                     ("pt-BR,pt;q=0.9", "pt-br", "Idioma"),
                                                     ("pl-PL,pl;q=0.9", "pl", "Język")])
def test_a_language_with_a_catalog_is_spoken(client, accept, language, word):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE=accept)
    assert speaks(response, language) and word in response.content.decode()


def test_the_settings_default_applies_when_the_browser_names_none(client, settings):
    settings.LANGUAGE_CODE = "de"
    assert speaks(client.get("/login/"), "de")


def test_an_admins_choice_is_stored_and_follows_them_to_another_browser(admin_client, admin_user):
    response = admin_client.post("/language/", {"language": "de", "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert User.objects.get(pk=admin_user.pk).language == "de"
    other = sign_in_with_second_factor(Client(), admin_user)
    assert speaks(other.get("/", HTTP_ACCEPT_LANGUAGE="en"), "de")


def test_a_language_outside_the_list_is_not_stored(admin_client, admin_user):
    admin_client.post("/language/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=admin_user.pk).language == ""
    assert speaks(admin_client.get("/"), "en")


def test_an_owners_choice_is_stored_and_applied_at_the_next_sign_in(client, mail_domain):
    owner = mail_domain("i18n.example").mailbox("owner")
    signed_in(client, owner)
    client.post("/language/", {"language": "de", "next": "/me/"})
    assert MailboxRules.objects.get(mailbox=owner).language == "de"
    assert speaks(signed_in(Client(), owner).get("/me/", HTTP_ACCEPT_LANGUAGE="en"), "de")


# --- the catalogs -------------------------------------------------------------------------

PROJECT_PARTS = ["accounts", "api", "deploy", "domains", "mailadmin", "mailstack", "selfservice", "templates",
                 "webhooks", "locale", "manage.py"]


def statistics(catalog: Path) -> str:
    """msgfmt's count of translated, fuzzy and untranslated messages in a .po file."""
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalog)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stderr.strip()


@pytest.fixture(scope="module")
def updated_catalogs(tmp_path_factory):
    """A copy of the project whose catalogs `manage.py update_catalogs` brought up to date with
    the strings marked now: {language: path of its updated django.po}."""
    copy = tmp_path_factory.mktemp("project")
    for part in PROJECT_PARTS:
        source = Path(settings.BASE_DIR) / part
        if source.is_dir():
            shutil.copytree(source, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy(source, copy / part)
    before = os.getcwd()
    os.chdir(copy)
    try:
        with override_settings(LOCALE_PATHS=[copy / "locale"]):
            update_catalogs.update(update_catalogs.translated_languages())
    finally:
        os.chdir(before)
    return {language: copy / "locale" / language / "LC_MESSAGES" / "django.po"
            for language in update_catalogs.translated_languages()}


def test_every_language_offered_has_a_catalog_with_every_string_translated(updated_catalogs):
    for language, catalog in updated_catalogs.items():
        assert (Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po").exists(), \
            f"{language} is in LANGUAGES but has no catalog"
        counts = statistics(catalog)
        assert "fuzzy" not in counts and "untranslated" not in counts, \
            f"{language}: {counts} (run manage.py update_catalogs and translate the new strings)"


def test_every_catalog_compiles(tmp_path):
    shutil.copytree(Path(settings.BASE_DIR) / "locale", tmp_path / "locale",
                    ignore=shutil.ignore_patterns("*.mo"))
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        call_command("compilemessages", verbosity=0)
    finally:
        os.chdir(before)
    compiled = sorted(path.parent.parent.name for path in (tmp_path / "locale").glob("*/LC_MESSAGES/django.mo"))
    assert compiled == sorted(update_catalogs.translated_languages())


def test_templates_hold_no_text_outside_translation_tags():
    found = {}
    for template in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html")):
        if pieces := untranslated(template.read_text()):
            found[str(template.relative_to(settings.BASE_DIR))] = pieces
    assert found == {}


def test_the_scanner_finds_text_attributes_and_literal_arguments():
    source = ('<p title="Hello">x{% translate "Fine" %}</p>{{ day|default:"never" }} · mailadmin'
              '{% include "search.html" with placeholder="Type here" %}<input aria-label="{% translate "Ok" %}">')
    assert sorted(untranslated(source)) == ["Hello", "Type here", "never"]
