#!/usr/bin/env python3
"""Generate synthetic township reports on 法治政府建设: see :mod:`devtools.corpus`.

Usage::

    .venv/bin/python scripts/make_corpus.py N OUT_DIR [--seed S] [--extra-text DIR]
                                            [--pdf-share F] [--docx-share F]
"""

import sys

from devtools.corpus import main

if __name__ == "__main__":
    sys.exit(main())
