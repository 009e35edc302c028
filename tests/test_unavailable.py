"""With its database unreachable, the panel says so (503), not a bare error."""
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

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
