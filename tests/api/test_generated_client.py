"""A billing system's client generated from the published schema (openapi-python-client, in the
test run, never committed) drives the API through a customer's life: signing up, a rename,
suspension for non-payment and its end, and the usage read for the invoice; the matching
webhooks reach its receiver, signed."""
import importlib
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from api.models import ACTIONS
from tests import mail
from tests.api.conftest import make_key
from tests.webhooks.conftest import Receiver, deliver_committed

PASSWORD = "a long enough customer password"


@pytest.fixture
def billing_client(live_server, tmp_path, monkeypatch):
    """The package generated from the live server's own schema, imported from tmp_path."""
    schema = tmp_path / "schema.json"
    schema.write_bytes(urllib.request.urlopen(f"{live_server.url}/api/v1/schema/?format=json").read())
    generator = Path(sys.executable).with_name("openapi-python-client")
    monkeypatch.setenv("PATH", f"{generator.parent}:{os.environ['PATH']}")  # it formats with ruff
    result = subprocess.run([generator, "generate", "--path", schema, "--output-path", tmp_path / "billing_client",
                             "--meta", "none"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "Warning" not in result.stdout, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("billing_client")
    for name in [name for name in sys.modules if name.startswith("billing_client")]:
        del sys.modules[name]
    shutil.rmtree(tmp_path / "billing_client")


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.mark.stack
def test_a_generated_client_runs_a_customers_life(billing_client, live_server, receiver):
    from billing_client import AuthenticatedClient
    from billing_client.api.domains import domains_create, domains_resume_create, domains_suspend_create
    from billing_client.api.mailboxes import mailboxes_create, mailboxes_rename_create, mailboxes_retrieve
    from billing_client.api.usage import usage_list
    from billing_client.api.webhooks import webhooks_create
    from billing_client.models import DomainCreateIn, MailboxCreateIn, Problem, RenameIn, WebhookCreateIn
    from billing_client.models import WebhookEventType as Event

    key = make_key("billing", all_domains=True, allowed_actions=list(ACTIONS))[1]
    client = AuthenticatedClient(base_url=live_server.url, token=key)
    hook = webhooks_create.sync(client=client, body=WebhookCreateIn(url=receiver.url, event_types=[
        Event.DOMAIN_CREATED, Event.MAILBOX_CREATED, Event.MAILBOX_RENAMED, Event.DOMAIN_SUSPENDED,
        Event.DOMAIN_RESUMED]))

    domain = domains_create.sync(client=client, body=DomainCreateIn(name="customer.example", max_mailboxes=5))
    assert domain.name == "customer.example" and domain.active
    for local_part in ("anna", "ben"):
        created = mailboxes_create.sync(client=client, body=MailboxCreateIn(address=f"{local_part}@customer.example",
                                                                            password=PASSWORD))
        assert created.address == f"{local_part}@customer.example"
    renamed = mailboxes_rename_create.sync("ben@customer.example", client=client, body=RenameIn(local_part="benjamin"))
    assert renamed.address == "benjamin@customer.example"
    assert isinstance(mailboxes_retrieve.sync("ben@customer.example", client=client), Problem)
    sent = mail.message("benjamin@customer.example")
    mail.send(sent)
    assert mail.wait_for("benjamin@customer.example", PASSWORD, sent["Subject"]) is not None

    assert domains_suspend_create.sync("customer.example", client=client).active is False  # not paid
    assert not mail.imap_login_works("anna@customer.example", PASSWORD)
    assert domains_resume_create.sync("customer.example", client=client).active is True  # paid
    assert mail.imap_login_works("anna@customer.example", PASSWORD)

    usage = {row.domain: row for row in usage_list.sync(client=client).results}["customer.example"]
    assert usage.mailboxes == 2 and usage.storage_used > 0

    refused = mailboxes_create.sync_detailed(client=client, body=MailboxCreateIn(address="anna@customer.example",
                                                                                 password=PASSWORD))
    assert refused.status_code == 409 and isinstance(refused.parsed, Problem) and refused.parsed.code == "conflict"

    # The stack's worker sends the events, each signed with the subscription's secret, in order.
    deliver_committed()
    assert [event["type"] for event in receiver.events(hook.secret)] == [
        "domain.created", "mailbox.created", "mailbox.created", "mailbox.renamed", "domain.suspended",
        "domain.resumed"]
