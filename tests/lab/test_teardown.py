"""The lab leaves nothing behind: stopped with SIGTERM it tears itself down, and what a run
killed outright leaves (containers, daemons, overlay mounts, namespaces, folders) is removed by
the next run. Runs before the session's lab is built (tests/lab/conftest.py, ORDER)."""
import os
import signal
import subprocess
import sys

import pytest

from tests.lab import network
from tests.lab.hosts import CHECKOUT, RUN_ROOT, Lab, cleanup_stale, lab_mounts, nspawn_pids, take_lock

BUILD_TIMEOUT = 300
HOLD = f"""
import sys, time
sys.path.insert(0, {str(CHECKOUT)!r})
from tests.lab.hosts import Lab
with Lab(log=lambda line: None) as lab:
    print("built", flush=True)
    time.sleep({BUILD_TIMEOUT})
"""


def leftovers():
    runs = [path.name for path in RUN_ROOT.iterdir() if path.is_dir()] if RUN_ROOT.is_dir() else []
    return {"namespaces": network.lab_namespaces(), "nspawn": nspawn_pids(), "mounts": lab_mounts(), "runs": runs}


NOTHING = {"namespaces": [], "nspawn": [], "mounts": [], "runs": []}


def built_lab_process():
    """A lab built by another process, which then waits."""
    process = subprocess.Popen([sys.executable, "-c", HOLD], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # "built", or "" when it failed
    assert line == "built\n", "the lab was not built"
    return process


@pytest.fixture
def no_lab_running():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    lock = take_lock(log=print)  # waits for another run to end
    try:
        cleanup_stale()  # what a crash of an earlier run (or test) left
        assert leftovers() == NOTHING
    finally:
        lock.close()


def test_a_lab_stopped_with_sigterm_tears_itself_down(no_lab_running):
    process = built_lab_process()
    assert leftovers()["namespaces"] and leftovers()["nspawn"] and leftovers()["mounts"]
    process.send_signal(signal.SIGTERM)
    process.wait(120)
    assert leftovers() == NOTHING


def test_what_a_killed_run_left_is_removed_by_the_next_run(no_lab_running):
    process = built_lab_process()
    process.kill()
    process.wait(10)
    left = leftovers()
    assert left["namespaces"] and left["nspawn"] and left["mounts"] and left["runs"]

    with Lab(log=lambda line: None) as lab:
        now = leftovers()
        assert now["runs"] == [lab.folder.name]
        assert len(now["nspawn"]) == 2 and set(now["nspawn"]).isdisjoint(left["nspawn"])
    assert leftovers() == NOTHING
