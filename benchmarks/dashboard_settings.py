"""Settings for the dashboard benchmark's server: the benchmark settings, whose URLs add the
query-free talent dashboard (`benchmarks.dashboard_urls`)."""

from benchmarks.bench_settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.dashboard_urls"
