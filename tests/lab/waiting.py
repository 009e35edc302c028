"""Bounded waits: every wait of the lab has a timeout."""
import time


def wait_until(predicate, timeout, what):
    """Polls `predicate` until it returns something true; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.3)
