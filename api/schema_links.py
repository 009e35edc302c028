"""OpenAPI links between operations: what a create (or a rename) answers names the object the
next operations take in their path, e.g. `POST /domains/` → `GET/PATCH/DELETE /domains/{name}/`,
`.../suspend/`, ...; a new domain also leads to creating a mailbox and an alias in it. Clients
and Schemathesis's stateful tests follow them (tests/api/test_schemathesis.py)."""

API = "/api/v1/"
# The operation that makes (or renames) an object: its answer's status, the path parameter that
# names the object, and where the answer holds it.
PRODUCERS = {
    "domains_create": ("201", "name", "$response.body#/name"),
    "mailboxes_create": ("201", "address", "$response.body#/address"),
    "mailboxes_rename_create": ("200", "address", "$response.body#/address"),
    "aliases_create": ("201", "source", "$response.body#/source"),
    "webhooks_create": ("201", "id", "$response.body#/id"),
    "api_keys_create": ("201", "prefix", "$response.body#/prefix"),
    "admins_create": ("201", "username", "$response.body#/username"),
    # A list leads to the objects it shows (its first).
    "domains_list": ("200", "name", "$response.body#/results/0/name"),
    "mailboxes_list": ("200", "address", "$response.body#/results/0/address"),
    "aliases_list": ("200", "source", "$response.body#/results/0/source"),
    "webhooks_list": ("200", "id", "$response.body#/results/0/id"),
    "api_keys_list": ("200", "prefix", "$response.body#/results/0/prefix"),
    "admins_list": ("200", "username", "$response.body#/results/0/username"),
}
# Creates that a new domain makes possible: their bodies, with the new domain's name.
IN_A_NEW_DOMAIN = {
    "mailboxes_create": {"address": "box@{$response.body#/name}"},
    "aliases_create": {"source": "info@{$response.body#/name}", "destinations": ["box@{$response.body#/name}"]},
}


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def add_links(result, generator, request, public):
    """drf-spectacular's postprocessing hook: the links of PRODUCERS to every operation on the
    object they name (the paths under `<collection>{<parameter>}/`)."""
    by_id = {operation["operationId"]: (path, operation) for path, _, operation in _operations(result)}
    for producer, (status, parameter, expression) in PRODUCERS.items():
        path, operation = by_id[producer]
        collection = path.split("{")[0] if "{" in path else path
        links = {
            consumer["operationId"]: {"operationId": consumer["operationId"], "parameters": {parameter: expression},
                                      "description": f"the {parameter} this answer holds"}
            for consumer_path, _, consumer in _operations(result)
            if consumer_path.startswith(f"{collection}{{{parameter}}}/")
        }
        if producer == "domains_create":
            links.update({consumer: {"operationId": consumer, "requestBody": body,
                                     "description": "in the new domain"} for consumer, body in IN_A_NEW_DOMAIN.items()})
        operation["responses"][status]["links"] = links
    return result
