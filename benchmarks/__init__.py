"""The benchmark suite (`./mailctl bench`): seeds a private stack per size, measures the panel, the
API, Postfix, Dovecot and the bulk import against it, and writes artifacts/benchmark/report.md."""
