"""The copy figures of every report, kept beside the index for the generation they describe.

Computing the copy verdict of every report is the longest of a server's
analytics (minutes at 100,000 reports). A server that has computed them
writes them to ``copies.json.gz`` in the index folder, with the index
generation and the rules they were computed under; a server that starts
on the same generation (a restart, another worker) reads them instead of
computing them again. Figures of another generation or other rules are
never used. The file is written atomically (temporary file, then
rename); a server that cannot write it (a read-only index) computes the
figures as before and logs why.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
from pathlib import Path

from .. import names
from ..wording import FORM, MIN_SENTENCE_CHARS
from . import copies
from .sentences import NEAR_SIMILARITY, SHINGLE

FILE = "copies.json.gz"
#: the layout of the file
FORMAT = 1

log = logging.getLogger(__name__)


def rules() -> dict:
    """What the figures depend on besides the index: the sentence and copy rules."""
    return {
        "format": FORMAT,
        "wording": FORM,
        "min_chars": MIN_SENTENCE_CHARS,
        "similarity": NEAR_SIMILARITY,
        "shingle": SHINGLE,
        "copy_share": copies.COPY_SHARE,
        "rare": copies.RARE,
        "candidates": copies.CANDIDATES,
        "near_from": copies.NEAR_FROM,
    }


def load(index_dir: Path, generation: tuple, current: dict) -> dict[str, dict] | None:
    """The figures kept for ``generation`` under the rules ``current`` (None: none kept)."""
    path = Path(index_dir) / FILE
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            kept = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError) as exc:
        log.warning("cannot read the copy figures kept in %s (computing them): %s", path, exc)
        return None
    if not isinstance(kept, dict) or kept.get("generation") != list(generation):
        return None
    if kept.get("rules") != current:
        return None
    figures = kept.get("figures")
    return figures if isinstance(figures, dict) else None


def save(index_dir: Path, generation: tuple, current: dict, figures: dict[str, dict]) -> bool:
    """Keep ``figures`` for ``generation``; False (logged) if the folder cannot take them."""
    path = Path(index_dir) / FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    body = {"generation": list(generation), "rules": current, "figures": figures}
    try:
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
            f.write(names.dumps(body, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError as exc:
        log.info("copy figures not kept in %s: %s", index_dir, exc)
        try:
            tmp.unlink()
        except OSError:
            pass
        return False
    return True
