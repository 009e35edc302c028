"""Every API error as RFC 9457 problem details (application/problem+json).

Status codes: 400 the request body has the wrong shape (serializer); 401 no usable key (unknown,
revoked and expired keys get the same answer); 403 the key may not do this (read-only, action not
allowed, or creating a domain with a key scoped to listed domains); 404 not found or outside the
key's domains (the same answer); 409 the domain or address exists already; 413 the body is larger
than DATA_UPLOAD_MAX_MEMORY_SIZE; 422 a rule of the
services refused the change (address syntax, password policy, hash scheme, limits and quotas);
503 the database cannot be reached.  Validation problems carry `errors`: {field: [messages]}.
"""
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response

from api.idempotency import Replay
from api.selectors import ItemsNotFound
from domains.errors import BulkRejected, Conflict, LimitReached

PROBLEM_JSON = "application/problem+json"
NON_FIELD = "non_field_errors"

# Which input field a service's refusal is about, by its error code.
CODE_FIELDS = {
    "hash_scheme": "password_hash", "password_required": "password", "spam_threshold": "spam_threshold",
    "quota_limit": "quota", "quota_total": "quota", "mailbox_limit": NON_FIELD, "alias_limit": NON_FIELD,
    "alias_destinations": "destinations", "alias_destination": "destinations",
    "webhook_url": "url", "webhook_url_credentials": "url", "webhook_event_types": "event_types",
}
ADDRESS_CODE_PREFIXES = ("domain_", "mailbox_", "address_", "local_", "conflict", "duplicate", "no_domain", "alias_")


# The titles of the statuses the API answers with, translated by Accept-Language like `detail`
# (the machine-readable `code` never is); any other status keeps its English phrase.
TITLES = {
    400: _("Bad Request"), 401: _("Unauthorized"), 403: _("Forbidden"), 404: _("Not Found"),
    405: _("Method Not Allowed"), 406: _("Not Acceptable"), 409: _("Conflict"), 413: _("Request Entity Too Large"),
    415: _("Unsupported Media Type"), 422: _("Unprocessable Entity"), 429: _("Too Many Requests"),
    500: _("Internal Server Error"), 503: _("Service Unavailable"),
}


def problem(status: int, detail: str = "", *, code: str = "", errors: dict | None = None, headers=None) -> Response:
    body = {"type": "about:blank", "title": str(TITLES.get(status, HTTPStatus(status).phrase)), "status": status}
    if detail:
        body["detail"] = str(detail)
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status, content_type=PROBLEM_JSON, headers=headers)


def _field_for(code: str, view) -> str:
    if code in CODE_FIELDS:
        return CODE_FIELDS[code]
    if code.startswith("password"):
        return "password"
    if code.startswith(ADDRESS_CODE_PREFIXES):
        return getattr(view, "address_field", NON_FIELD)
    return NON_FIELD


def _service_errors(error: DjangoValidationError, view) -> tuple[dict, str]:
    if hasattr(error, "error_dict"):
        items = [(field, item) for field, error_list in error.error_dict.items() for item in error_list]
    else:
        items = [(_field_for(item.code or "", view), item) for item in error.error_list]
    errors: dict[str, list[str]] = {}
    for field, item in items:
        message = item.message % item.params if item.params else item.message
        errors.setdefault(field, []).append(str(message))
    return errors, items[0][1].code or ""


def _flatten(detail, name: str = "", errors: dict | None = None) -> dict:
    """DRF's nested errors as {"field": [...], "mailboxes[3].address": [...]}."""
    errors = {} if errors is None else errors
    if isinstance(detail, dict):
        for key, value in detail.items():
            _flatten(value, f"{name}[{key}]" if isinstance(key, int) else f"{name}.{key}" if name else key, errors)
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            _flatten(item, f"{name}[{index}]", errors)
    else:
        errors.setdefault(name or NON_FIELD, []).extend(
            str(message) for message in (detail if isinstance(detail, list) else [detail]))
    return errors


def _bulk_errors(error: BulkRejected, view) -> tuple[dict, bool]:
    """Each item's errors under `<list>[<index>].<field>`; and whether any is a conflict."""
    errors: dict[str, list[str]] = {}
    for index, item_errors in sorted(error.item_errors.items()):
        for item in item_errors:
            field = _field_for(item.code or "", view)
            name = f"{view.bulk_field}[{index}]" + ("" if field == NON_FIELD else f".{field}")
            errors.setdefault(name, []).append(str(item.message % item.params if item.params else item.message))
    return errors, any(item.code == "conflict" for items in error.item_errors.values() for item in items)


def exception_handler(exc, context):
    view = context.get("view")
    if isinstance(exc, Replay):
        return exc.response
    if isinstance(exc, ItemsNotFound):
        return problem(404, _("Some of the items were not found (or are outside the key's domains); nothing was "
                              "written."), code="not_found",
                       errors={f"{view.bulk_field}[{index}]": [str(_("Not found."))] for index in exc.indexes})
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return problem(404, str(_("Not found.")))
    if isinstance(exc, RequestDataTooBig):
        return problem(413, _("The request body is larger than %(max)d bytes; send fewer items per request.")
                       % {"max": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}, code="too_large")
    if isinstance(exc, DjangoPermissionDenied):
        return problem(403, str(exc) or str(_("Not allowed.")))
    if isinstance(exc, BulkRejected):
        errors, conflict = _bulk_errors(exc, view)
        detail = _("Some of the items exist already; nothing was written.") if conflict else \
            _("Some of the items were refused; nothing was written. See errors.")
        return problem(409 if conflict else 422, detail, code="conflict" if conflict else "bulk_rejected",
                       errors=errors)
    if isinstance(exc, Conflict):
        errors, code = _service_errors(exc, view)
        return problem(409, next(iter(errors.values()))[0], code=code, errors=errors)
    if isinstance(exc, DjangoValidationError):  # LimitReached included
        errors, code = _service_errors(exc, view)
        detail = _("A limit of the domain does not allow this.") if isinstance(exc, LimitReached) else \
            _("The request was refused; see errors.")
        return problem(422, detail, code=code, errors=errors)
    if isinstance(exc, (OperationalError, InterfaceError)):
        return problem(503, _("The database is temporarily unavailable; try again later."), code="unavailable",
                       headers={"Retry-After": "60"})
    if isinstance(exc, exceptions.ValidationError):
        return problem(400, _("The request body is not valid; see errors."),
                       code=getattr(exc, "problem_code", "invalid"), errors=_flatten(exc.detail))
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return problem(exc.status_code, str(exc.detail), code=exc.get_codes() if isinstance(exc.get_codes(), str)
                       else "", headers=headers)
    return None
