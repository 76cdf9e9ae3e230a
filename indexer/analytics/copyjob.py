"""``python -m indexer.analytics.copyjob INDEX [--catalogue]``: compute and keep the copy figures.

The child process of :func:`~indexer.analytics.copystore.compute_in_child`
(a server's) and :func:`~indexer.analytics.copystore.keep_in_child` (``fazhi index``'s):
opens the index, computes the copy figures of its current generation in
this process and keeps them in the index folder; with ``--catalogue``
(``fazhi index``) the practice catalogue of the default lexicon too, which a
server otherwise builds at start. Exit status 0 when they were kept, 1 with
a message on standard error otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import FazhiError
from ..search import Engine
from . import copystore
from .service import Analytics

USAGE = "usage: python -m indexer.analytics.copyjob INDEX [--catalogue]"


def main(argv: list[str]) -> int:
    catalogue = "--catalogue" in argv
    args = [a for a in argv if a != "--catalogue"]
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 1
    index_dir = Path(args[0])
    try:
        with Engine(index_dir) as engine:
            analytics = Analytics(engine, copies_child_from=None)  # here, not in another child
            analytics.copies()
            kept = copystore.load_figures(index_dir, engine.generation)
            if kept is not None and catalogue:
                analytics.catalogue()  # read back if kept, else built and kept
    except FazhiError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 1
    if kept is None:
        print(f"error: the copy figures could not be kept in {index_dir}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
