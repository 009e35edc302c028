"""Medians and spreads of repeated measurements."""
import math
import statistics


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 = p95)."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def summary(samples: list[float]) -> dict:
    """Median, p95, min, max and interquartile range of samples (at least one)."""
    return {
        "median": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "min": min(samples),
        "max": max(samples),
        "iqr": percentile(samples, 0.75) - percentile(samples, 0.25),
        "n": len(samples),
    }
