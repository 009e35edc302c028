"""An example request and answer for every operation, recorded from the API itself.

SCENARIO is a billing system's session, step by step; tests/api/test_examples.py replays it against
the API (on the test stack) and compares each answer with the one recorded in api/examples.json,
so the examples cannot drift from what the API does (RECORD_API_EXAMPLES=1 records them anew).
Values that differ from run to run (times, ids, keys, secrets, DKIM keys) are recorded as fixed
placeholders. The schema carries the examples (`add_examples`, a drf-spectacular postprocessing
hook), and docs/api-examples.md is generated from them:
    .venv/bin/python -m api.examples
"""
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "examples.json"
DOCS_PAGE = HERE.parent / "docs" / "api-examples.md"
BASE = "/api/v1/"
MIGRATED_HASH = "{BLF-CRYPT}$2b$04$FogpfR.1O5wkN1gfMBDplej/7pE/b273tj4ytQSV9vQWYF9rDClkm"


@dataclass(frozen=True)
class Step:
    operation: str  # the operationId
    method: str
    path: str  # under /api/v1/; {name} is a value an earlier answer gave (see test_examples.py)
    body: object = None
    status: int = 200


SCENARIO = [
    Step("domains_create", "POST", "domains/", {"name": "example.org", "description": "Customer 4711",
                                                "max_mailboxes": 50, "default_quota": 1073741824}, 201),
    Step("domains_list", "GET", "domains/?prefix=example&page_size=10"),
    Step("domains_retrieve", "GET", "domains/example.org/"),
    Step("domains_partial_update", "PATCH", "domains/example.org/", {"spam_threshold": 6.5, "max_aliases": 200}),
    Step("domains_dns_retrieve", "GET", "domains/example.org/dns/"),
    Step("domains_dkim_keys_create", "POST", "domains/example.org/dkim-keys/", {"algorithm": "rsa"}, status=201),
    Step("domains_dkim_keys_list", "GET", "domains/example.org/dkim-keys/"),
    Step("domains_dkim_keys_retrieve", "GET", "domains/example.org/dkim-keys/{selector}/"),
    Step("domains_dkim_keys_activate_create", "POST", "domains/example.org/dkim-keys/{selector}/activate/",
         {"force": True}),
    Step("domains_dkim_keys_destroy", "DELETE", "domains/example.org/dkim-keys/{old_selector}/", status=204),
    Step("domains_suspend_create", "POST", "domains/example.org/suspend/"),
    Step("domains_resume_create", "POST", "domains/example.org/resume/"),
    Step("mailboxes_create", "POST", "mailboxes/", {"address": "ann@example.org", "password": "correct horse battery",
                                                    "display_name": "Ann Example"}, 201),
    Step("mailboxes_bulk_create", "POST", "mailboxes/bulk/", {"mailboxes": [
        {"address": "bob@example.org", "password_hash": MIGRATED_HASH, "quota": 2147483648}]}, 201),
    Step("mailboxes_list", "GET", "mailboxes/?domain=example.org"),
    Step("mailboxes_retrieve", "GET", "mailboxes/ann@example.org/"),
    Step("mailboxes_partial_update", "PATCH", "mailboxes/ann@example.org/", {"spam_threshold": "4.5"}),
    Step("mailboxes_password_create", "POST", "mailboxes/ann@example.org/password/",
         {"password": "a new long passphrase"}, 204),
    Step("mailboxes_suspend_create", "POST", "mailboxes/ann@example.org/suspend/"),
    Step("mailboxes_resume_create", "POST", "mailboxes/ann@example.org/resume/"),
    Step("mailboxes_rename_create", "POST", "mailboxes/bob@example.org/rename/", {"local_part": "robert"}),
    Step("mailboxes_rules_retrieve", "GET", "mailboxes/ann@example.org/rules/"),
    Step("mailboxes_rules_partial_update", "PATCH", "mailboxes/ann@example.org/rules/", {
        "vacation_active": True, "vacation_subject": "Away", "vacation_text": "Back on Monday.",
        "forward_to": ["ann@example.net"], "forward_keep_copy": True}),
    Step("mailboxes_rules_destroy", "DELETE", "mailboxes/ann@example.org/rules/", status=204),
    Step("mailboxes_usage_retrieve", "GET", "mailboxes/ann@example.org/usage/"),
    Step("domains_usage_retrieve", "GET", "domains/example.org/usage/"),
    Step("domains_usage_mailboxes_list", "GET", "domains/example.org/usage/mailboxes/"),
    Step("usage_list", "GET", "usage/?prefix=example.org"),
    Step("aliases_create", "POST", "aliases/", {"source": "info@example.org", "destinations": ["ann@example.org"]},
         201),
    Step("aliases_bulk_create", "POST", "aliases/bulk/", {"aliases": [
        {"source": "sales@example.org", "destinations": ["ann@example.org", "robert@example.org"]}]}, 201),
    Step("aliases_list", "GET", "aliases/?domain=example.org"),
    Step("aliases_retrieve", "GET", "aliases/info@example.org/"),
    Step("aliases_update", "PUT", "aliases/info@example.org/", {"destinations": ["ann@example.org",
                                                                               "robert@example.org"]}),
    Step("mailboxes_bulk_update_create", "POST", "mailboxes/bulk/update/", {
        "addresses": ["ann@example.org", "robert@example.org"], "changes": {"quota": 2147483648}}),
    Step("webhooks_create", "POST", "webhooks/", {"url": "https://billing.example.net/hooks/mail",
                                                  "event_types": ["mailbox.created", "mailbox.over_quota"]}, 201),
    Step("webhooks_list", "GET", "webhooks/"),
    Step("webhooks_retrieve", "GET", "webhooks/{webhook}/"),
    Step("webhooks_deliveries_list", "GET", "webhooks/{webhook}/deliveries/"),
    Step("webhooks_destroy", "DELETE", "webhooks/{webhook}/", status=204),
    Step("api_keys_create", "POST", "api-keys/", {"name": "support desk", "domains": ["example.org"],
                                                  "read_only": True}, 201),
    Step("api_keys_list", "GET", "api-keys/"),
    Step("api_keys_retrieve", "GET", "api-keys/{prefix}/"),
    Step("api_keys_destroy", "DELETE", "api-keys/{prefix}/", status=204),
    Step("admins_create", "POST", "admins/", {"username": "customer-4711", "email": "it@example.org",
                                              "password": "a long enough admin password",
                                              "domains": ["example.org"]}, 201),
    Step("admins_list", "GET", "admins/?page_size=10"),
    Step("admins_retrieve", "GET", "admins/customer-4711/"),
    Step("admins_partial_update", "PATCH", "admins/customer-4711/", {"active": False}),
    Step("admins_destroy", "DELETE", "admins/customer-4711/", status=204),
    Step("audit_list", "GET", "audit/?object=robert@example.org&page_size=2"),
    Step("aliases_destroy", "DELETE", "aliases/sales@example.org/", status=204),
    Step("mailboxes_destroy", "DELETE", "mailboxes/robert@example.org/", status=204),
    Step("stored_mail_list", "GET", "stored-mail/?domain=example.org"),
    Step("mailboxes_create", "POST", "mailboxes/", {"address": "robert@example.org", "password_hash": MIGRATED_HASH},
         201),
    Step("stored_mail_restore_create", "POST", "stored-mail/{archive}/restore/", status=202),
    Step("mailboxes_bulk_delete_create", "POST", "mailboxes/bulk/delete/", {"addresses": ["robert@example.org"]},
         204),
    Step("domains_destroy", "DELETE", "domains/example.org/", status=204),
]

# Placeholders for what differs from run to run, by the field that holds it.
TIME = "2026-11-30T09:00:00Z"
VOLATILE = {"created": TIME, "updated": TIME, "at": TIME, "finished": TIME, "date_joined": TIME,
            "last_used": TIME, "activated": TIME, "id": 17}


# Keys, prefixes and secrets as they appear in order: the example's own key first.
SECRETS = {
    "key": ["mak_4f1c9a2b_3q9VjXo2nK8sZ1rT6yWcE0uLhB7dMfGa5pRxYiNkQv4",
            "mak_9d3e7b10_Lp4sW8cQ2mZ6xT0vR5nJ1hF7gB3kD9aYeU2oI6tMrS"],
    "prefix": ["4f1c9a2b", "9d3e7b10"],
    "secret": ["whsec_8Xb2kLq0vT5nR7yWmC3fJ9dH1sA6gZeP"],
}
# Text that holds the day of the run: DKIM selectors (m<date>), the end of an archive's keeping.
DATED = [(re.compile(r"\bm20[0-9]{6}(?=[a-z]?\b)"), "m20261130"),
         (re.compile(r"until 20[0-9]{2}-[0-9]{2}-[0-9]{2}"), "until 2026-12-30"),
         (re.compile(r"p=[A-Za-z0-9+/=]{40,}"), "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC…")]


def placeholders_of(body, found: dict) -> None:
    """Adds to `found` (live value -> placeholder) the keys, prefixes and secrets of an answer."""
    if isinstance(body, dict):
        for field, placeholders in SECRETS.items():
            value = body.get(field)
            if isinstance(value, str) and value not in found:
                found[value] = placeholders[sum(1 for known in found.values() if known in placeholders)]
        for value in body.values():
            placeholders_of(value, found)
    elif isinstance(body, list):
        for value in body:
            placeholders_of(value, found)


def stable(body, live: dict):
    """The answer as recorded: volatile fields as their placeholders, live values replaced."""
    if isinstance(body, dict):
        return {field: VOLATILE[field] if field in VOLATILE and body[field] is not None else stable(value, live)
                for field, value in body.items()}
    if isinstance(body, list):
        return [stable(value, live) for value in body]
    if isinstance(body, str):
        for value, placeholder in live.items():
            body = body.replace(value, placeholder)
        for pattern, placeholder in DATED:
            body = pattern.sub(placeholder, body)
    return body


def recorded() -> list[dict]:
    return json.loads(RECORDED.read_text())


def shown_path(path: str) -> str:
    return BASE + path.format(webhook=VOLATILE["id"], archive=VOLATILE["id"], prefix=SECRETS["prefix"][1],
                              selector="m20261130a", old_selector="m20261130")


def add_examples(result, generator, request, public):
    """drf-spectacular's postprocessing hook: each operation's recorded requests and answers."""
    by_id = {operation["operationId"]: operation for methods in result["paths"].values()
             for operation in methods.values()}
    for number, example in enumerate(recorded(), start=1):
        operation = by_id.get(example["operation"])
        if operation is None:
            continue
        name = f"example{number}"
        if example["request"] is not None and "requestBody" in operation:
            content = operation["requestBody"]["content"]["application/json"]
            content.setdefault("examples", {})[name] = {"value": example["request"],
                                                       "summary": f"{example['method']} {example['path']}"}
        answer = operation["responses"].get(str(example["status"]))
        if answer is not None and example["response"] is not None:
            for content in answer.get("content", {}).values():
                content.setdefault("examples", {})[name] = {"value": example["response"]}
    return result


def markdown() -> str:
    lines = ["# API examples", "",
             "A billing system's session with the API, one request and its answer for every operation, in the "
             "order a provider would use them. Generated from the examples in the API's schema "
             "(`/api/v1/schema/`), which the test suite replays against the API: they are what it answers. "
             "Times, ids, keys and secrets differ in real answers. "
             "The operations themselves are described in [REST API](api.md).", ""]
    for example in recorded():
        lines += [f"## `{example['method']} {example['path']}`", "", f"`{example['operation']}`", "",
                  "```http", f"{example['method']} {example['path']} HTTP/1.1",
                  "Authorization: Bearer mak_…"]
        if example["request"] is not None:
            lines += ["Content-Type: application/json", "", json.dumps(example["request"], indent=2,
                                                                        ensure_ascii=False)]
        lines += ["```", "", "```http", f"HTTP/1.1 {example['status']}"]
        if example["response"] is not None:
            lines += ["Content-Type: application/json", "", json.dumps(example["response"], indent=2,
                                                                        ensure_ascii=False)]
        lines += ["```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    DOCS_PAGE.write_text(markdown())
    sys.stdout.write(f"wrote {DOCS_PAGE}\n")
