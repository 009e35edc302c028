"""The panel's first page: sign-in, and each admin sees only their own domains."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from domains import services
from domains.audit import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_domains():
    actor = Actor.command("tests")
    return (services.domain_create(actor=actor, name="alpha.example"),
            services.domain_create(actor=actor, name="beta.example", description="<img src=x onerror=alert(1)>"))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_domain_admin_sees_only_their_domains(client, two_domains):
    alpha, beta = two_domains
    admin = get_user_model().objects.create_user("alice", password="a long enough password")
    admin.domains.add(alpha)
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert "alpha.example" in page and "beta.example" not in page


def test_a_superadmin_sees_every_domain(admin_client, two_domains):
    page = admin_client.get("/").content.decode()
    assert "alpha.example" in page and "beta.example" in page


def test_sign_in_redirects_only_to_local_pages(client):
    get_user_model().objects.create_user("bob", password="a long enough password")
    for target in ("http://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = client.post("/login/", {"username": "bob", "password": "a long enough password", "next": target})
        assert response.status_code == 302 and response["Location"] == "/", target
        client.logout()


def test_sign_out_is_a_post(client):
    user = get_user_model().objects.create_user("carol", password="a long enough password")
    client.force_login(user)
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_first_superadmin_is_created_once_with_a_printed_random_password(capsys):
    call_command("create_first_superadmin")
    first = capsys.readouterr().out
    password = first.split("password: ")[1].split()[0]
    assert len(password) >= 20
    assert get_user_model().objects.get(username="admin").check_password(password)
    call_command("create_first_superadmin")
    assert "password" not in capsys.readouterr().out.split("no account")[0].lower().replace("superadmin", "")
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
