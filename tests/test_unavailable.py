"""With its database unreachable, the panel says so (503), not a bare error."""
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection
from django.test import Client, RequestFactory

from mailadmin import errors

pytestmark = pytest.mark.django_db(transaction=True)


def break_database():
    """The panel's connection points at a port where nothing listens; returns the undo."""
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = 9  # discard: nothing listens on loopback here

    def restore():
        connection.close()
        connection.settings_dict["PORT"] = real_port

    return restore


def test_pages_answer_503_with_a_clear_message_when_the_database_is_unreachable():
    signed_in, anonymous = Client(raise_request_exception=False), Client(raise_request_exception=False)
    signed_in.force_login(get_user_model().objects.create_user("alice", password="a long enough password"))
    restore = break_database()
    try:
        responses = [signed_in.get("/"), signed_in.get("/mailboxes/"),
                     anonymous.post("/login/", {"username": "alice", "password": "a long enough password"})]
    finally:
        restore()
    for response in responses:
        assert response.status_code == 503
        assert "Temporarily unavailable" in response.content.decode()
        assert response["Retry-After"] == "60"


def test_self_service_roundcube_and_the_api_answer_503_when_the_database_is_unreachable(settings):
    settings.MAILADMIN_ROUNDCUBE_SECRET = secret = "roundcube-shared-secret-for-tests-0123456789"
    owner, api = Client(raise_request_exception=False), Client(raise_request_exception=False)
    restore = break_database()
    try:
        pages = [owner.post("/me/login/", {"address": "ann@a.example", "password": "x"})]
        roundcube = owner.post("/roundcube/password/", {"user": "ann@a.example", "curpass": "old password",
                                                        "newpass": "a brand new password"},
                               HTTP_X_MAILADMIN_SECRET=secret)
        listing = api.get("/api/v1/domains/", HTTP_AUTHORIZATION="Bearer mak_00000000_" + "x" * 43)
    finally:
        restore()
    for response in pages:
        assert response.status_code == 503 and "Temporarily unavailable" in response.content.decode()
    assert roundcube.status_code == 503 and roundcube.content != b"ok"  # Roundcube: "Connection error"
    assert listing.status_code == 503 and listing["Content-Type"] == "application/problem+json"
    assert listing["Retry-After"] == "60"


@pytest.mark.parametrize(("raised", "status", "title"), [(RuntimeError, 500, "Something went wrong"),
                                                         (DatabaseError, 503, "Temporarily unavailable")])
def test_the_error_page_is_shown_plainly_when_the_panels_own_page_cannot_be_rendered(settings, raised, status,
                                                                                     title):
    # No collected static files: the panel's page fails on its stylesheet, as it would with a
    # broken deployment; the handler must not fail in turn (gunicorn's bare page).
    settings.STATIC_ROOT = "/nonexistent"
    request = RequestFactory().get("/")
    try:
        raise raised("down")
    except raised:
        response = errors.server_error(request)

    assert response.status_code == status
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert (response.get("Retry-After") == "60") == (status == 503)
