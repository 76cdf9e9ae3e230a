#!/usr/bin/env python3
"""Regenerate the folding tables in indexer/data (traditional → simplified, radicals)
from OpenCC's and Unicode's data: see :mod:`devtools.foldtables` and docs/folding.md.

Usage::

    .venv/bin/python scripts/make_fold_tables.py [--opencc DIR] [--unicode DIR] [--check]
"""

import sys

from devtools.foldtables import main

if __name__ == "__main__":
    sys.exit(main())
