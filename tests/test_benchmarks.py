"""The benchmark suite's own parts: the server-time header, the statistics and the report (the
measures themselves run against real stacks with `./mailctl bench`)."""
import time

from django.http import HttpResponse
from django.test import RequestFactory

from benchmarks.report import write_report
from benchmarks.run import Plan
from benchmarks.stats import summary
from benchmarks.timing import ServerTimingMiddleware

MACHINE = {"when": "2026-11-25 01:00 UTC", "cpu": "Test CPU", "cores": 2, "memory_gib": 4.0,
           "load_average": [0.1, 0.2, 0.3], "load_average_end": [0.4, 0.5, 0.6], "kernel": "6", "debian": "12.11",
           "mariadb": "10.11", "postfix": "3.7.11", "dovecot": "2.3.19", "spamassassin": "4.0.1", "python": "3.11",
           "django": "5.2", "gunicorn": "23"}


def spread(*values):
    return summary(list(values))


def size_figures(size, list_ms, bulk):
    requests = [{"area": "panel", "name": "mailbox list, page 1", "server_ms": spread(list_ms, list_ms, list_ms * 2),
                 "client_ms": spread(list_ms + 1)},
                {"area": "api", "name": "GET one mailbox", "server_ms": spread(12.0), "client_ms": spread(13.0)}]
    return {"size": size, "seed_seconds": 3.0, "mailboxes": size, "domains": size // 100,
            "web": {"requests": requests, "bulk_api": bulk},
            "rcpt": {"sql_cold": spread(1500.0), "sql_warm": spread(2000.0), "hash": spread(5000.0),
                     "ratio_cold": spread(0.3), "ratio_warm": spread(0.4), "tutorial_cold": spread(1600.0),
                     "tutorial_warm": spread(2100.0), "tutorial_ratio_cold": spread(0.94),
                     "tutorial_ratio_warm": spread(0.95)},
            "delivery": {"spamassassin": spread(10.0), "no_filter": spread(80.0)},
            "logins": {"error": "IMAP login failed: test"},
            "import": {"available": False, "size": 10000}}


def test_server_timing_header_covers_the_whole_request():
    def slow_view(request):
        time.sleep(0.02)
        return HttpResponse("ok")

    response = ServerTimingMiddleware(slow_view)(RequestFactory().get("/"))
    duration = float(response["Server-Timing"].removeprefix("app;dur="))
    assert 20 <= duration < 1000


def test_summary_gives_median_p95_and_spreads():
    figures = summary([float(value) for value in range(1, 101)])
    assert (figures["median"], figures["p95"], figures["min"], figures["max"], figures["n"]) == (50.5, 95, 1, 100, 100)
    assert figures["iqr"] == 50


def test_report_shows_figures_targets_failures_and_missing_endpoints(tmp_path):
    missing = {"name": "bulk", "size": 10000, "available": False, "status": "HTTP 404"}
    results = [size_figures(10_000, 5.0, missing), size_figures(1_000_000, 60.0, missing)]
    report = write_report(results=results, machine=MACHINE, plan=Plan(), output=tmp_path)
    text = report.read_text()
    assert "Test CPU, 2 cores" in text and "3.7.11" in text and "2.3.19" in text
    assert "| panel | mailbox list, page 1 | 5.0 / 10.0 (5.0–10.0) | 60.0 / 120.0 (60.0–120.0) | × 12.00 |" in text
    assert "panel mailbox list, page 1: median 60.0 ms, target ≤ 50 ms: **not met**" in text
    assert "api GET one mailbox: median 12.0 ms, target ≤ 10 ms: **not met**" in text
    assert "at 40% of static maps for recipients seen again at once (warm), target ≥ 80%:" \
           " **not met**; 30% for recipients not seen before (cold)" in text
    assert "| SQL / static ratio, cold | 30% " in text
    assert "| RCPT accepted/s, the ISPmail tutorial's SQL maps, cold | 1,600 (1,600–1,600) |" in text
    assert "| bundled / tutorial maps, warm (target ≥ 90%) | 95% (95%–95%) |" in text
    assert ("Postfix RCPT with the bundled maps at 94% (cold) and 95% (warm) of the ISPmail tutorial's maps on the"
            " same rows, target ≥ 90%: met") in text
    assert "endpoint not available (HTTP 404)" in text and "service not available" in text
    assert "failed: IMAP login failed: test" in text
    for chart in ("requests.png", "throughput.png"):
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")
        assert f"({chart})" in text
