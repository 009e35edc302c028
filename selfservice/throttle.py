"""Guessing mailbox passwords (sign-in page, Roundcube endpoint) is throttled by django-axes, the
lockout the admins' sign-in already uses: its records are in the database, so every panel
process counts together (a cache-based counter would count per process unless a shared cache is
set up), and the same settings apply (AXES_FAILURE_LIMIT failures per account and, apart from
that, per client address; AXES_COOLOFF_TIME).  Mailbox accounts are counted under
"mailbox:<address>", a name no admin can have, so the two kinds of account never lock each other."""
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed


def _credentials(address: str) -> dict:
    return {"username": f"mailbox:{address.strip().casefold()}"}


def locked(request, address: str) -> bool:
    """True if this address or this client is locked; the attempt then counts as a failure too
    (each attempt during the lock starts the wait again, as for the admins)."""
    if AxesProxyHandler.is_locked(request, _credentials(address)):
        failed(request, address)
        return True
    return False


def failed(request, address: str) -> bool:
    """Counts a failed attempt; True if it locked the address or the client."""
    user_login_failed.send(sender=__name__, credentials=_credentials(address), request=request)
    now_locked = bool(getattr(request, "axes_locked_out", False))
    request.axes_locked_out = False  # the views answer themselves, not axes' page
    return now_locked


def succeeded(address: str) -> None:
    AxesProxyHandler.reset_attempts(username=_credentials(address)["username"])
