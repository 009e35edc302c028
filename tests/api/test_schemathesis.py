"""Schemathesis against the generated OpenAPI schema: requests made from the schema, on a small
seeded dataset with a read-write key for all domains; no answer is a 5xx, every answer
(status, content type, headers, body) is one the schema describes, and no request the schema
refuses is accepted."""
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
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
# The stateful phase: sequences along the schema's links (api/schema_links.py), e.g. create a
# domain, a mailbox in it, rename, suspend, read and delete it; what one step made, the next uses.
# A created object is found where its answer says, and a deleted one is gone.
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
SCENARIOS, STEPS_PER_SCENARIO = 50, 8


def wsgi_schema():
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


def operations():
    schema = wsgi_schema()
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
def test_every_operation_answers_as_its_schema_says(world, settings, nsd):
    nsd.serve([])  # the DNS check's lookups are refused at once instead of each waiting for a timeout
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


@pytest.fixture
def connection_kept_across_requests():
    """As Django's test client does: a request's end does not close the connection (whose open
    transaction holds the scenario)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
def test_linked_operations_answer_as_their_schema_says(world, settings, connection_kept_across_requests, nsd):
    nsd.serve([])
    settings.MAILADMIN_API_RATE = ""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    _, key = make_key("stateful", all_domains=True, allowed_actions=list(ACTIONS))
    headers = {"Authorization": f"Bearer {key}"}
    calls, failures = [], []

    # The owner's rules are stored in Dovecot's Sieve script at once, and Dovecot reads the mailbox
    # through its own connection, where a scenario's uncommitted rows do not exist: they are
    # left to the run above, on committed rows.
    schema = wsgi_schema().exclude(path_regex="/rules/$")
    # Valid requests, so that scenarios go deep (refusals of invalid ones are the run above's).
    schema.config.generation.modes = [GenerationMode.POSITIVE]

    class Scenarios(schema.as_state_machine()):
        """Each scenario starts from the seeded rows (its changes are rolled back after it), so
        that Hypothesis can replay a scenario and find the same answers."""

        def setup(self):
            self.scenario = transaction.atomic()
            self.scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)

        def before_call(self, case):
            case.headers = {**(case.headers or {}), **headers}  # the key, whatever was generated

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            calls.append((f"{case.operation.method.upper()} {case.operation.path}", response.status_code))
            try:
                case.validate_response(response, checks=STATEFUL_CHECKS, headers=headers, recorder=self.recorder,
                                       transport_kwargs=kwargs or None)
            except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collected, reported below
                # Not raised: the run goes on (the database keeps each scenario's changes, so Hypothesis
                # could not replay a scenario to shrink it); the answer and the request say enough.
                failures.append(f"{calls[-1]}: {case.as_curl_command(headers=headers)}\n{error}")

    run_state_machine_as_test(Scenarios, settings=hypothesis_settings(
        max_examples=SCENARIOS, stateful_step_count=STEPS_PER_SCENARIO, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck)))
    assert not failures, "\n\n".join(failures[:10])
    reached = {name for name, status in calls if 200 <= status < 300 and "{" in name}
    print(f"schemathesis stateful: {len(calls)} requests; {len(reached)} operations on a named object "
          f"answered 2xx")  # for the report
    # The links were followed: objects listed or made in the run were read, changed and deleted.
    assert len(reached) >= 4 and any(name.startswith("DELETE ") for name in reached), sorted(reached)
