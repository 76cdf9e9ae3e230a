#!/usr/bin/env python3
"""Bounded load test of ``fazhi serve`` on loopback: see :mod:`devtools.loadtest`.

Usage::

    .venv/bin/python scripts/loadtest.py INDEX_DIR [--requests 5000] [--concurrency 8]
        [--max-seconds 600] [--threads 8] [--workers 1] [--rate R] [--seed 1]
        [--no-reindex] [--slow-clients N] [--slow-interval S] [--serve-arg=ARG] [--json OUT]
"""

import sys

from devtools.loadtest import main

if __name__ == "__main__":
    sys.exit(main())
