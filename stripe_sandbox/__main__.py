"""``python -m stripe_sandbox --port 12111 --db var/stripe_sandbox.sqlite3``."""

import sys

from .server import main

sys.exit(main())
