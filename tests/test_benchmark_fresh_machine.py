"""`./mailctl bench` on a machine whose Postfix is unconfigured (Debian's "No configuration": no
/etc/postfix/main.cf): a short RCPT run against the test stack with Postfix's default
configuration folder empty, so that any Postfix command run without the stack's own folder
(`-c`) fails here as it would there."""
import pytest
from django.core.management import call_command

from benchmarks import smtp
from tests.adoption import editions

pytestmark = [pytest.mark.stack, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def unconfigured_postfix(tmp_path, monkeypatch):
    """Postfix's commands read MAIL_CONFIG when no -c is given: an empty folder, as on a fresh host."""
    monkeypatch.setenv("MAIL_CONFIG", str(tmp_path))
    return tmp_path


@pytest.fixture
def seeded():
    call_command("seed_benchmark", mailboxes=2000, domains=20, aliases_per_domain=2, verbosity=0,
                 stdout=open("/dev/null", "w"))


def test_a_short_rcpt_benchmark_runs_on_a_host_without_main_cf(unconfigured_postfix, seeded):
    lines = []
    figures = smtp.measure_rcpt(recipients=200, repeat=1, log=lines.append)
    assert not (unconfigured_postfix / "main.cf").exists()
    for variant in ("sql_cold", "sql_warm", "hash", "tutorial_cold", "tutorial_warm"):
        assert figures[variant]["median"] > 0, variant
    assert figures["recipients"] == 200
    assert 0 < figures["tutorial_ratio_cold"]["median"] and 0 < figures["tutorial_ratio_warm"]["median"]
    assert any("the tutorial's SQL maps, cold" in line for line in lines)


def test_the_benchmarks_tutorial_maps_are_the_tutorials():
    assert smtp.TUTORIAL_QUERIES == editions.POSTFIX_QUERIES
