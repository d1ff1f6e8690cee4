"""Settings for benchmark servers: the project's settings plus a bare comparison view.

Everything else (database, cache, middleware, templates) is exactly what the product runs.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.bench_urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
