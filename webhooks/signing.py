"""The signature of a delivery, Stripe's scheme: the header `t=<unix time>,v1=<hex HMAC-SHA256>` over
`f"{t}.{body}"` with the subscription's secret.  `verify` is what a receiver runs (docs/webhooks.md)."""
import hashlib
import hmac
import time

HEADER = "Mailadmin-Signature"
EVENT_ID_HEADER = "Mailadmin-Event-Id"
EVENT_TYPE_HEADER = "Mailadmin-Event-Type"
TOLERANCE = 300  # seconds: an older signature is refused as a possible replay


def signature(secret: str, timestamp: int, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def header_value(secret: str, body: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: str, *, tolerance: int = TOLERANCE, now: float | None = None) -> bool:
    """True if `header` signs `body` with `secret` less than `tolerance` seconds ago (any `v1`
    of the header may match, so that a receiver can check during a change of secret)."""
    parts = [part.partition("=") for part in header.split(",")]
    stamps = [value for name, _, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, _, value in parts if name.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
