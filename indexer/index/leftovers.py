"""What an interrupted indexer leaves behind, found and removed.

A killed rebuild leaves ``DIR.rebuild-PID`` (or a swap ``DIR.old-PID``); a
killed commit leaves segment files no TOC lists, TOC temporary files and
temporary directories. None of them affects searches; the next write session
removes them (see :func:`remove_leftovers`) and ``fazhi check`` lists them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from .storage import CORRUPTION_ERRORS, INDEX_NAME, open_ix, read_storage

_TOC_TEMP_RE = re.compile(rf"^_{INDEX_NAME}_\d+\.toc\.")
_SEGMENT_FILE_RE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.")


def _sibling_dirs(index_dir: Path) -> list[Path]:
    """``DIR.rebuild-*`` and ``DIR.old-*``: what a killed rebuild or swap left."""
    prefixes = (f"{index_dir.name}.rebuild-", f"{index_dir.name}.old-")
    try:
        entries = list(index_dir.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if p.name.startswith(prefixes) and p.is_dir())


def _current_segment_ids(index_dir: Path) -> set[str] | None:
    try:
        storage = read_storage(index_dir)
        with storage.guard():
            toc = open_ix(storage)._read_toc()
    except CORRUPTION_ERRORS + (OSError,):
        return None
    return {s.segment_id() for s in toc.segments}


def leftovers(index_dir: str | Path) -> list[Path]:
    """Files and directories an interrupted indexer left behind.

    They never affect searches; the next write session removes them. Only
    meaningful while no indexer runs (a running one owns such files).
    """
    index_dir = Path(index_dir)
    out = _sibling_dirs(index_dir)
    try:
        names = sorted(os.listdir(index_dir))
    except OSError:
        return out
    live = _current_segment_ids(index_dir)
    for name in names:
        path = index_dir / name
        m = _SEGMENT_FILE_RE.match(name)
        if (
            _TOC_TEMP_RE.match(name)
            or (name.endswith(".tmp") and path.is_dir())  # Whoosh's temporary storage
            or (name.startswith(".") and name.endswith(".tmp"))  # ours (_write_json)
        ):
            out.append(path)
        elif m and live is not None and m.group(1) not in live:
            out.append(path)
    return out


def remove_leftovers(index_dir: Path) -> None:
    for path in leftovers(index_dir):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                pass
