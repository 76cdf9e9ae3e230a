#!/usr/bin/env python3
"""Measure phrase recall on real files: see :mod:`devtools.recall`.

Usage::

    .venv/bin/python scripts/measure_recall.py ../shared/corpora/real-files/pdf \\
        ../shared/corpora/real-files/docx [--limit 200] [--seed 0] [--json] [--missed]
"""

import sys

from devtools.recall import main

if __name__ == "__main__":
    sys.exit(main())
