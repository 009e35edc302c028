"""Schemathesis against the generated OpenAPI schema: requests made from the schema, on a small
seeded dataset with a read-write key for all domains; no answer is a 5xx, every answer
(status, content type, headers, body) is one the schema describes, and no request the schema
refuses is accepted."""
import re

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services.admins import admin_create
from api.models import ACTIONS
from api.services import api_key_create
from domains.audit import Actor
from tests.api.conftest import ACTOR, make_key
from webhooks.services import subscription_create

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]
# Path parameters that name seeded rows, so that requests reach real objects as well as 404s.
SEEDED = {"name": "a.example", "address": "box@a.example", "source": "info@a.example"}
EXAMPLES_PER_OPERATION = 25


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    found = [result.ok() for result in schema.get_all_operations()]
    # Deletes last, a domain's last of all, so that the other operations meet the seeded rows.
    return sorted(found, key=lambda operation: (operation.method == "delete", "/domains/" in operation.path))


def rows_of_the_keys_own(key, world) -> dict:
    """Path values naming rows of the key's own: a key it made, a domain admin, its webhook
    subscription (`id`, which stored mail's restore takes too: there it is a 404)."""
    child, _ = api_key_create(actor=ACTOR, name="child", all_domains=True, domains=[], read_only=True,
                              allowed_actions=[], expires=None, parent=key)
    admin_create(actor=ACTOR, username="customer-admin", email="", password="a long enough admin password",
                 is_superuser=False, domains=[world["inside"]])
    subscription, _ = subscription_create(actor=Actor(label=f"api-key:{key.prefix}", via_api=True), api_key=key,
                                          url="http://127.0.0.1:9/hook", event_types=["mailbox.created"])
    return {"prefix": child.prefix, "username": "customer-admin", "id": str(subscription.pk)}


@pytest.mark.django_db(transaction=True)  # each request commits on its own, as in production
def test_every_operation_answers_as_its_schema_says(world, settings):
    settings.MAILADMIN_API_RATE = ""  # hundreds of requests in a few seconds
    # Bodies past the size limit answer 413 before the schema's rules are applied (a test of its
    # own, in test_bulk.py); here every body is read, so a list past its maxItems answers 400.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    fuzz, key = make_key("fuzz", all_domains=True, allowed_actions=list(ACTIONS))
    headers = {"Authorization": f"Bearer {key}"}
    seeded_rows = {**SEEDED, **rows_of_the_keys_own(fuzz, world)}
    failures, answers, cases = [], {}, []
    for operation in operations():
        names = set(re.findall(r"{(\w+)}", operation.path))
        seeded = {name: value for name, value in seeded_rows.items() if name in names}
        strategies = [operation.as_strategy(mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        if seeded:
            strategies += [operation.as_strategy(mode, path_parameters=seeded) for mode in GenerationMode]
        strategy = st.one_of(strategies)

        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def check(case):
            # A query parameter whose value is null or an empty list is not sent at all: such a
            # "negative" case reaches the server as a valid request, and its acceptance is no finding.
            assume(all(value is not None and value != [] for value in (case.query or {}).values()))
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            cases.append(response.status_code)
            answers.setdefault(f"{case.operation.method.upper()} {case.operation.path}", set()).add(
                response.status_code)

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - every operation is tried
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    print(f"schemathesis: {len(cases)} requests over {len(answers)} operations")  # for the report
    assert not failures, "\n\n".join(failures)
    # The key was accepted everywhere, and the seeded rows were reached: these were real answers.
    assert len(answers) == len(operations()) and all(codes - {401, 429} for codes in answers.values())
    assert sum(any(200 <= code < 300 for code in codes) for codes in answers.values()) > len(answers) // 2
