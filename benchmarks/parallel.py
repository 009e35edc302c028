"""Several client sessions at once, as a mail server sees them."""
import threading
import time


def in_parallel(jobs) -> float:
    """Runs each job (a callable) in a thread of its own until all have finished; returns the
    `time.perf_counter()` at which they were started."""
    threads = [threading.Thread(target=job) for job in jobs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return started
