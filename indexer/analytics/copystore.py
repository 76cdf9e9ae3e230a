"""The copy figures of every report, kept beside the index for the generation they describe.

(The practice catalogue is kept the same way, in :data:`CATALOGUE_FILE`.)

Computing the copy verdict of every report is the longest of a server's
analytics (minutes at 100,000 reports). A server that has computed them
writes them to ``copies.json.gz`` in the index folder, with the index
generation and the rules they were computed under; a server that starts
on the same generation (a restart, another worker) reads them instead of
computing them again. Figures of another generation or other rules are
never used. The file is written atomically (temporary file, then
rename); a server that cannot write it (a read-only index) computes the
figures as before and logs why.

On a large index a server has them computed by a child process
(:func:`compute_in_child`, running :mod:`.copyjob`): the child's memory
(gigabytes at 100,000 reports, mostly freed objects a Python process
keeps) goes back to the system when it exits, it runs beside the
server's other builds instead of sharing one interpreter with them, and
several workers wait for one child instead of each computing the same.
``fazhi index`` runs the same child after a run that changed a large part
of a large index (:func:`worth_keeping`, :func:`keep_in_child`), so that
servers started on the new generation read the figures from the start.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .. import names
from ..wording import FORM, MIN_SENTENCE_CHARS
from . import copies
from .copytable import CopyFigures
from .sentences import NEAR_SIMILARITY, SHINGLE

FILE = "copies.json.gz"
#: the practice catalogue of a generation, kept the same way
CATALOGUE_FILE = "practices.json.gz"
#: the layout of the file (2: the columns of :class:`.copytable.CopyFigures`; 1, a dict
#: per report, is computed anew)
FORMAT = 2

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


def load(index_dir: Path, generation: tuple, current: dict, file: str = FILE) -> dict | None:
    """What ``file`` keeps for ``generation`` under the rules ``current`` (None: nothing
    kept for them). The copy figures by default; the practice catalogue is kept the
    same way (:data:`CATALOGUE_FILE`)."""
    path = Path(index_dir) / file
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            kept = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError) as exc:
        log.warning("cannot read what is kept in %s (computing it): %s", path, exc)
        return None
    if not isinstance(kept, dict) or kept.get("generation") != list(generation):
        return None
    if kept.get("rules") != current:
        return None
    figures = kept.get("figures")
    return figures if isinstance(figures, dict) else None


def save(
    index_dir: Path, generation: tuple, current: dict, figures: dict, file: str = FILE
) -> bool:
    """Keep ``figures`` for ``generation`` in ``file``; False (logged) if the folder
    cannot take them."""
    path = Path(index_dir) / file
    body = {"generation": list(generation), "rules": current, "figures": figures}

    def write(tmp: Path) -> None:
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
            f.write(names.dumps(body, separators=(",", ":")))

    return write_atomically(path, write, file)


def write_atomically(path: Path, write: Callable[[Path], None], what: str) -> bool:
    """``write`` a temporary file beside ``path``, then rename it to ``path`` (a reader
    sees the old file or the new one, whole); False (logged, nothing left behind) when
    the folder cannot take it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        log.info("%s not kept in %s: %s", what, path.parent, exc)
        with suppress(OSError):
            tmp.unlink()
        return False
    return True


#: where the workers of one index take turns computing the figures
LOCK = ".copies.lock"
#: ``fazhi index`` keeps the figures of the generation it wrote (``--copy-figures
#: auto``) when the index then holds at least this many reports (below, a server
#: computes them in seconds)…
KEEP_FROM = 5_000
#: …and the run added, replaced or pruned at least this share of them (a first
#: build, a rebuild): computing them is then a small part of the run, while after
#: a few files they would cost far more than the run itself
KEEP_SHARE = 0.1


def worth_keeping(total_reports: int, changed: int) -> bool:
    """Whether an index run that ``changed`` reports of ``total_reports`` computes the
    copy figures itself (see :data:`KEEP_FROM`, :data:`KEEP_SHARE`)."""
    return total_reports >= KEEP_FROM and changed >= KEEP_SHARE * total_reports


@contextmanager
def _turn(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's copy lock (OSError: the folder takes no lock file)."""
    fd = os.open(index_dir / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _run_child(index_dir: Path, *options: str) -> str | None:
    """Run :mod:`.copyjob` on ``index_dir``: None when it kept the figures, else why not."""
    run = subprocess.run(
        [sys.executable, "-m", "indexer.analytics.copyjob", str(index_dir), *options],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode == 0:
        return None
    tail = run.stderr.strip().splitlines()[-3:]
    return f"exit {run.returncode}: {' | '.join(tail) or 'no message'}"


def keep_in_child(index_dir: Path) -> str | None:
    """Compute the figures of the index's current generation in a child process and
    keep them beside it, with the practice catalogue (what ``fazhi index`` does after a
    large run, so that servers start with both). None when they are kept; otherwise
    why not, in one line.

    Takes its turn with the servers' children (:data:`LOCK`); figures some server
    kept for the generation meanwhile are not computed again (the child reads them).
    """
    index_dir = Path(index_dir)
    try:
        with _turn(index_dir):
            return _run_child(index_dir, "--catalogue")
    except OSError as exc:
        return f"no child could compute them in {index_dir}: {exc}"


def load_figures(index_dir: Path, generation: tuple) -> CopyFigures | None:
    """The copy figures kept for ``generation`` under the current rules (None: none kept,
    or not readable as figures)."""
    kept = load(index_dir, generation, rules())
    figures = CopyFigures.from_json(kept)
    if kept is not None and figures is None:
        log.warning("the copy figures kept in %s are damaged (computing them)", index_dir)
    return figures


def save_figures(index_dir: Path, generation: tuple, figures: CopyFigures) -> bool:
    """Keep the copy figures of ``generation`` (see :func:`save`)."""
    return save(index_dir, generation, rules(), figures.to_json())


def compute_in_child(index_dir: Path, generation: tuple) -> CopyFigures | None:
    """The figures of ``generation``, computed by a child process and read back.

    One child at a time per index folder: a worker that finds another's
    child at work waits for it, then reads what it kept. None (logged) when
    the folder takes no lock or file, the child fails, or it found another
    generation (the index changed meanwhile): the caller computes them itself.
    """
    index_dir = Path(index_dir)
    try:
        with _turn(index_dir):
            kept = load_figures(index_dir, generation)
            if kept is not None:  # another worker's child kept them meanwhile
                return kept
            failed = _run_child(index_dir)
            if failed is not None:
                log.warning("computing the copy figures in a child process failed (%s)", failed)
                return None
            return load_figures(index_dir, generation)
    except OSError as exc:
        log.info("copy figures computed in process (no child for %s: %s)", index_dir, exc)
        return None
