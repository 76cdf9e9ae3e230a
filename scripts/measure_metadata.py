#!/usr/bin/env python3
"""Measure metadata accuracy on real report pages: see :mod:`devtools.metadata`.

Usage::

    .venv/bin/python scripts/measure_metadata.py PAGES_DIR [--truth FILE] [--json] [--misses]
"""

import sys

from devtools.metadata import main

if __name__ == "__main__":
    sys.exit(main())
