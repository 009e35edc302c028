"""Mail that keeps coming while something happens on mx: remote sends one message a second
(a bounded count) from a thread, and the test checks afterwards that each one arrived."""
import threading
import time

from tests.lab.mail import new_subject, remote_send


class SteadySender(threading.Thread):
    """Sends `count` messages from bob at remote to `to`, one every `interval` seconds; `sent`
    lists their subjects, `errors` what failed to be handed to remote's sendmail."""

    def __init__(self, lab, to, what, count=40, interval=1.0):
        super().__init__(daemon=True)
        self.lab, self.to, self.what, self.count, self.interval = lab, to, what, count, interval
        self.sent, self.errors = [], []

    def run(self):
        start = time.monotonic()
        for number in range(self.count):
            subject = new_subject(f"{self.what} {number}")
            try:
                remote_send(self.lab, self.to, subject)
                self.sent.append(subject)
            except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
                self.errors.append(f"{subject}: {error}")
            time.sleep(max(0.0, start + (number + 1) * self.interval - time.monotonic()))

    def finish(self, timeout):
        self.join(timeout)
        assert not self.is_alive(), f"remote still sending after {timeout} s"
        assert not self.errors, self.errors
        return self.sent
