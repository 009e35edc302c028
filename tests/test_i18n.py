"""Translations (docs/translations.md): the language a page speaks (browser, language menu,
the admin's or owner's stored choice, the settings' default)."""
import pytest
from django.test import Client

from accounts.models import User
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
