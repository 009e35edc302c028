"""A mailbox made and changed through the API, seen by the real Postfix and Dovecot of the test stack."""
import smtplib

import pytest

from domains import services
from tests import mail
from tests.api.conftest import ACTOR, Api, make_key

pytestmark = pytest.mark.stack

PASSWORD = "a first long enough password"
NEW_PASSWORD = "a second long enough password"


def test_a_mailbox_created_through_the_api_receives_mail_and_follows_its_changes(transactional_db, client):
    domain = services.domain_create(actor=ACTOR, name="api-mail.example")
    api = Api(client)
    key = make_key("billing", domains=[domain])[1]
    address = "user@api-mail.example"

    response = api("POST", "mailboxes/", {"address": address, "password": PASSWORD}, key=key)
    assert response.status_code == 201, response.body
    message = mail.message(address)
    mail.send(message)
    assert mail.wait_for(address, PASSWORD, message["Subject"]) is not None
    assert mail.imap_login_works(address, PASSWORD)

    assert api("POST", f"mailboxes/{address}/password/", {"password": NEW_PASSWORD}, key=key).status_code == 204
    assert not mail.imap_login_works(address, PASSWORD)
    assert mail.imap_login_works(address, NEW_PASSWORD)

    response = api("POST", f"mailboxes/{address}/suspend/", key=key)
    assert response.status_code == 200 and response.body["active"] is False
    assert not mail.imap_login_works(address, NEW_PASSWORD)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        mail.send(mail.message(address))
