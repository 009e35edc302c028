"""`Idempotency-Key` on POST: a retry with the same key and body gets the first response back.

The database decides who does the work: the first request inserts a unique (API key,
Idempotency-Key) row in its own transaction before anything else, so a concurrent twin fails that
insert and answers 409 while the first is in progress.  When the first finishes, its status, body
and headers are stored in the row; a 5xx is not (the row is removed), so a retry after an outage
does the work.  Rows are kept for IDEMPOTENCY_TTL; a row left in progress by a process that died
is taken over after IN_PROGRESS_TIMEOUT.
"""
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions

from api.models import ApiKey, IdempotentRequest

HEADER = "Idempotency-Key"
IDEMPOTENCY_TTL = timedelta(hours=24)
IN_PROGRESS_TIMEOUT = timedelta(minutes=5)
REPLAYED_HEADERS = ("Content-Type", "Location", "Retry-After")


class InProgress(exceptions.APIException):
    status_code = 409
    default_detail = "A request with this Idempotency-Key is still in progress; retry later."
    default_code = "idempotency_in_progress"


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used with another request (method, path or body)."
    default_code = "idempotency_key_reused"


class Replay(Exception):  # noqa: N818 - not an error: carries the first response back
    def __init__(self, response: HttpResponse):
        super().__init__("replay")
        self.response = response


@dataclass
class Claim:
    row_id: int


def fingerprint(request, key: ApiKey) -> str:
    digest = hashlib.sha256()
    for part in (str(key.pk).encode(), request.method.encode(), request.get_full_path().encode()):
        digest.update(part + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def begin(request, key: ApiKey) -> Claim | None:
    """None without the header; a Claim to complete; raises Replay, InProgress or KeyReused."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not 1 <= len(value) <= 255 or not value.isascii() or not value.isprintable():
        raise exceptions.ValidationError({HEADER: ["Use 1 to 255 printable ASCII characters."]})
    now, print_ = timezone.now(), fingerprint(request, key)
    IdempotentRequest.objects.filter(key=key, created__lt=now - IDEMPOTENCY_TTL).delete()
    try:
        with transaction.atomic():
            row = IdempotentRequest.objects.create(key=key, idempotency_key=value, fingerprint=print_, created=now)
        return Claim(row.pk)
    except IntegrityError:
        pass
    row = IdempotentRequest.objects.filter(key=key, idempotency_key=value).first()
    if row is None or _taken_over(row, print_, now):  # removed meanwhile (a 5xx), or abandoned
        return begin(request, key) if row is None else Claim(row.pk)
    if row.fingerprint != print_:
        raise KeyReused()
    if row.status is None:
        raise InProgress()
    response = HttpResponse(bytes(row.body), status=row.status, headers=row.headers)
    response["Idempotent-Replayed"] = "true"
    raise Replay(response)


def _taken_over(row: IdempotentRequest, print_: str, now) -> bool:
    """A row left in progress longer than any request runs: claim it, if no one else does first."""
    if row.status is not None or row.created >= now - IN_PROGRESS_TIMEOUT:
        return False
    return IdempotentRequest.objects.filter(pk=row.pk, status__isnull=True, created=row.created).update(
        fingerprint=print_, created=now) == 1


def complete(claim: Claim, response) -> None:
    """Store the response for retries, or forget the claim after a 5xx so a retry does the work."""
    if response.status_code >= 500:
        release(claim)
        return
    if hasattr(response, "render"):
        response.render()
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    try:
        IdempotentRequest.objects.filter(pk=claim.row_id).update(status=response.status_code, headers=headers,
                                                                 body=response.content)
    except DatabaseError:  # the answer still goes out; a retry meets the row in progress (409) for a while
        pass


def release(claim: Claim) -> None:
    try:
        IdempotentRequest.objects.filter(pk=claim.row_id, status__isnull=True).delete()
    except DatabaseError:  # the database is down: the row is taken over after IN_PROGRESS_TIMEOUT
        pass


def purge_expired(now=None) -> int:
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    return IdempotentRequest.objects.filter(created__lt=cutoff).delete()[0]
