"""The examples of every operation (api/examples.py): replayed against the API on the test stack,
each answer is the one recorded in api/examples.json (and shown in the schema and on
docs/api-examples.md). After a deliberate change of the API, record them anew with
    RECORD_API_EXAMPLES=1 ./mailctl test tests/api/test_examples.py
and regenerate the page with `.venv/bin/python -m api.examples`."""
import json
import os
import time

import pytest
from django.test import Client

from api import examples
from api.models import ACTIONS
from domains.models import MailStoreJob
from tests import mail
from tests.api.conftest import make_key

pytestmark = pytest.mark.stack


def wait_until_archived(address, timeout=15):
    """The mail-store worker archives a deleted mailbox's mail shortly after the delete."""
    deadline = time.monotonic() + timeout
    while not MailStoreJob.objects.filter(address=address, action=MailStoreJob.ARCHIVE,
                                          state=MailStoreJob.DONE).exists():
        assert time.monotonic() < deadline, f"{address} was not archived"
        time.sleep(0.2)


def replay() -> list[dict]:
    _, key = make_key("billing", all_domains=True, allowed_actions=list(ACTIONS))
    client, values, live, answers = Client(HTTP_AUTHORIZATION=f"Bearer {key}"), {}, {}, []
    examples.placeholders_of({"key": key, "prefix": key.split("_")[1]}, live)
    for step in examples.SCENARIO:
        if step.operation == "mailboxes_destroy":  # mail to keep, and to restore later
            sent = mail.message("robert@example.org")
            mail.send(sent)
            mail.wait_for("robert@example.org", "migrated password", sent["Subject"])
        if step.operation == "stored_mail_list":
            wait_until_archived("robert@example.org")
        body = None if step.body is None else json.dumps(step.body)
        response = client.generic(step.method, examples.BASE + step.path.format(**values), body or "",
                                  content_type="application/json")
        assert response.status_code == step.status, (step, response.content)
        answer = json.loads(response.content) if response.content else None
        if step.operation == "domains_dkim_keys_create":
            values["selector"] = answer["selector"]
        if step.operation == "domains_dkim_keys_list":  # the key the domain was created with
            values["old_selector"] = next(key["selector"] for key in answer if key["selector"] != values["selector"])
        if step.operation == "webhooks_create":
            values["webhook"] = answer["id"]
        if step.operation == "api_keys_create":
            values["prefix"] = answer["prefix"]
        if step.operation == "stored_mail_list":
            values["archive"] = answer["results"][0]["id"]
        examples.placeholders_of(answer, live)
        answers.append({"operation": step.operation, "method": step.method, "path": examples.shown_path(step.path),
                        "request": step.body, "status": step.status, "response": examples.stable(answer, live)})
    return answers


@pytest.mark.django_db(transaction=True)  # the daemons (Dovecot's Sieve, the mail-store worker) see the rows
def test_every_example_is_what_the_api_answers():
    answers = replay()
    if os.environ.get("RECORD_API_EXAMPLES"):
        examples.RECORDED.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
    for answer, recorded in zip(answers, examples.recorded(), strict=True):
        assert answer == recorded, f"{answer['method']} {answer['path']}"


def test_every_operation_has_an_example_request_and_answer(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                assert body.get("examples"), f"{method.upper()} {path}: no example request"
            success = [code for code in operation["responses"] if code.startswith("2")]
            answered = [code for code in success if code == "204" or any(
                content.get("examples") for content in operation["responses"][code].get("content", {}).values())]
            assert answered, f"{method.upper()} {path}: no example answer"


def test_the_examples_page_is_generated_from_the_examples():
    assert examples.DOCS_PAGE.read_text() == examples.markdown(), "run .venv/bin/python -m api.examples"
