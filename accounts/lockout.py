"""How django-axes counts failed sign-ins (settings AXES_USERNAME_CALLABLE, AXES_LOCKOUT_PARAMETERS,
AXES_HANDLER; docs/signin.md).

Each kind of sign-in counts in its own namespace, `<kind>:<name>` in axes' username column: admins
at /login/ (`admin`, the default, as axes' own backend sends no kind), mailbox owners at /me/
(`mailbox`), Roundcube's password endpoint (`roundcube`) and wrong secrets sent to it
(`roundcube-secret`).  A kind locks by the name, by the client address, or both
(LOCKOUT_PARAMETERS), and a client address counts only the failures of its own kind, so no kind
of failure ever locks another: an owner's address and an admin's username of the same text, or
one shared client address, stay apart.  (API keys are counted elsewhere: api/throttling.py.)

axes keeps its records in the database, so every panel process counts together (a cache-based
counter would count per process unless a shared cache is set up).
"""
import hashlib

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_login_failed

ADMIN, MAILBOX, ROUNDCUBE, ROUNDCUBE_SECRET = "admin", "mailbox", "roundcube", "roundcube-secret"
LOCKOUT_PARAMETERS = {
    ADMIN: ["username", "ip_address"],
    MAILBOX: ["username", "ip_address"],
    # Roundcube calls from one address for all its users: with the right secret, only the account counts.
    ROUNDCUBE: ["username"],
    ROUNDCUBE_SECRET: ["ip_address"],
}
USERNAME_MAX_LENGTH = AccessAttempt._meta.get_field("username").max_length


def credentials(kind: str, name: str = "") -> dict:
    """What the panel's own password checks pass to axes for `name` of `kind`."""
    return {"username": name, "kind": kind}


# The panel's own password checks (owners' sign-in, Roundcube's endpoint, current passwords) count
# through axes like the admins' sign-in, which axes' backend and signals already count.

def locked(request, kind: str, name: str = "") -> bool:
    """True if this name or this client is locked for `kind`; the attempt then counts as a
    failure too (each attempt during the lock starts the wait again, as at the admins' sign-in)."""
    if AxesProxyHandler.is_locked(request, credentials(kind, name)):
        failed(request, kind, name)
        return True
    return False


def failed(request, kind: str, name: str = "") -> bool:
    """Counts a failed attempt; True if it locked the name or the client."""
    user_login_failed.send(sender=__name__, credentials=credentials(kind, name), request=request)
    now_locked = bool(getattr(request, "axes_locked_out", False))
    request.axes_locked_out = False  # the views answer themselves, not with axes' page
    return now_locked


def succeeded(request, kind: str, name: str) -> None:
    """Clears the failures of this name from this client, as axes does when an admin signs in."""
    AxesProxyHandler.update_request(request)
    AxesProxyHandler.get_implementation().reset_user_attempts(request, credentials(kind, name))


def _kind(credentials) -> str:
    kind = (credentials or {}).get("kind", ADMIN)
    return kind if kind in LOCKOUT_PARAMETERS else ADMIN


def lockout_username(request, credentials) -> str:
    """`<kind>:<name as typed, case-folded>`: `Admin` and `ADMIN` sign in as `admin` (the columns'
    collations ignore case), so they share one count instead of five tries each.  A key longer than
    axes' column (an address near 254 characters, or anything sent to the Roundcube endpoint) is
    stored as the name's SHA-256, so it is counted and locked like any other."""
    source = credentials if credentials is not None else request.POST
    kind = _kind(credentials)
    name = (source.get("username") or "").strip().casefold()
    key = f"{kind}:{name}"
    if len(key) > USERNAME_MAX_LENGTH:
        key = f"{kind}:sha256:{hashlib.sha256(name.encode()).hexdigest()}"
    return key


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    return LOCKOUT_PARAMETERS[_kind(credentials)]


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler, with each kind's failures apart, and a success that clears only its own.

    axes resets on success every attempt that matches any lockout parameter, so with the client
    address among them a sign-in deleted every failure recorded from that address, also the
    guesses at other accounts made between one's own sign-ins.  Here a success clears only the
    failures of the account that signed in, from the client that signed in.
    """

    def filter_user_attempts(self, request, credentials=None):
        namespace = get_client_username(request, credentials).split(":", 1)[0] + ":"
        return [attempts.filter(username__startswith=namespace)
                for attempts in super().filter_user_attempts(request, credentials)]

    def reset_user_attempts(self, request, credentials=None) -> int:
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials),
                                                ip_address=request.axes_ip_address).delete()
        return count
