#!/usr/bin/env python3
"""Benchmark fazhi on a synthetic corpus against SQLite FTS5 (trigram) and grep: see
:mod:`devtools.bench`.

Usage::

    .venv/bin/python scripts/bench.py --reports 1000 --work bench-out \\
        [--extra-text DIR] [--queries N] [--skip-http] [--json OUT] [--profile]
"""

import sys

from devtools.bench import main

if __name__ == "__main__":
    sys.exit(main())
