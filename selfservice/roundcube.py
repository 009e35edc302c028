"""The endpoint of Roundcube's password plugin (its `httpapi` driver), see docs/selfservice.md.

POST form fields user, curpass, newpass and the shared secret in the X-Mailadmin-Secret header.
200 with the body `ok` only when the password was changed; otherwise a 4xx with the reason
(Roundcube logs it).  No session, so no CSRF token.  Throttled with axes like the sign-in page:
with the right secret per `user` only (Roundcube calls from one address for all its users),
wrong secrets per client address.
"""
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import lockout
from accounts.lockout import ROUNDCUBE, ROUNDCUBE_SECRET
from domains.services import mailbox_set_password
from mailadmin.client_ip import client_ip
from selfservice import services

SECRET_HEADER = "X-Mailadmin-Secret"


def _answer(status: int, text: str) -> HttpResponse:
    return HttpResponse(text + "\n" if status != 200 else text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_POST
def password(request):
    secret = settings.MAILADMIN_ROUNDCUBE_SECRET
    if not secret:
        raise Http404
    if lockout.locked(request, ROUNDCUBE_SECRET):  # before the comparison: a right guess is not told apart
        return _answer(429, "too many failed attempts; try again later")
    if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
        lockout.failed(request, ROUNDCUBE_SECRET)
        return _answer(403, "wrong or missing shared secret")
    user, current, new = (request.POST.get(name, "") for name in ("user", "curpass", "newpass"))
    if not (user and current and new):
        return _answer(400, "user, curpass and newpass are required")
    if lockout.locked(request, ROUNDCUBE, user):
        return _answer(429, "too many failed attempts; try again later")
    mailbox = services.mailbox_authenticate(address=user, password=current)
    if mailbox is None:
        lockout.failed(request, ROUNDCUBE, user)
        return _answer(403, "unknown user or wrong current password")
    lockout.succeeded(request, ROUNDCUBE, user)
    try:
        mailbox_set_password(actor=services.owner_actor(mailbox, ip=client_ip(request)), mailbox=mailbox,
                             password=new, current_password=current)
    except ValidationError as error:
        return _answer(422, " ".join(error.messages))
    return _answer(200, "ok")
