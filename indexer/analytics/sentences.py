"""Sentences as precedents compare them: splitting, normal form, shingles, similarity.

Sentences are compared in their normal form (:mod:`indexer.wording`: split
on 。！？； and line breaks, folded, punctuation removed, the report's own
place names and digit runs masked, ignored when shorter than
:data:`~indexer.wording.MIN_SENTENCE_CHARS`). Same normal form = same wording; otherwise
two sentences are near-identical when their sets of character 3-gram
shingles overlap by at least :data:`NEAR_SIMILARITY` of the larger set.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..model import WORDING_KINDS

# ---------------------------------------------------------------- precedents

NEAR_SIMILARITY = 0.8
SHINGLE = 3
BOILERPLATE_SHARE = 0.3
BOILERPLATE_MIN_REPORTS = 3
#: reports listed per sentence by default (the count covers all)
MAX_LISTED = 5


_SLICES: list[slice] = []


def shingle_iter(key: str):
    """The 3-grams of ``key`` in order (sliced in C: ``map`` over prepared slices)."""
    n = len(key) - SHINGLE + 1
    while len(_SLICES) < n:
        i = len(_SLICES)
        _SLICES.append(slice(i, i + SHINGLE))
    return map(key.__getitem__, _SLICES[:n])


def shingles(key: str) -> set[str]:
    """The character 3-grams of a normal form (the form itself when shorter)."""
    if len(key) <= SHINGLE:
        return {key}
    return set(shingle_iter(key))


def similarity(a: set[str], b: set[str]) -> float:
    """Shared shingles over the larger set: 1.0 for the same wording."""
    if not a or not b:
        return 0.0
    return len(a & b) / max(len(a), len(b))


def prefix_length(n: int, threshold: float = NEAR_SIMILARITY) -> int:
    """How many of a set's rarest shingles must be indexed for prefix filtering."""
    return n - math.ceil(threshold * n - 1e-9) + 1


def date_key(meta: dict) -> tuple:
    """Order of issue: the date, else the end of the year reported on, else last."""
    if meta.get("date"):
        when = meta["date"]
    elif meta.get("year") is not None:
        when = f"{meta['year']}-12-31"
    else:
        when = "9999"
    return (when, meta.get("source") or "", meta.get("id") or "")


@dataclass(frozen=True)
class CorpusReport:
    """One report's metadata and passages (numbers and texts), as the engine gives them."""

    meta: dict
    ids: tuple[int, ...]
    texts: Sequence[str]


class StoredTexts(Sequence):
    """A report's passage texts, read from an index view each time they are asked for.

    Only wording counts: a header or signature line (document number, issuing
    body, date) reads as an empty text, so its number keeps its place.

    The practice catalogue and the sentence index read every report's text
    once to build, and a few reports' to answer; holding all of it would
    cost about 2.5 bytes per character of the corpus for as long as the
    analytics are kept (1 GB at 100,000 reports). The view caches the last
    few hundred reports read.
    """

    __slots__ = ("view", "rid", "n")

    def __init__(self, view, rid: str, n: int) -> None:
        self.view, self.rid, self.n = view, rid, n

    def _all(self) -> list[str]:
        return [_wording(p) for p in self.view.stored(self.rid)]

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._all()[i]
        return _wording(self.view.stored(self.rid)[i])

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


def _wording(passage: list) -> str:
    """The text of a stored passage if it is wording (see :data:`WORDING_KINDS`), else ""."""
    return passage[4] if passage[5] in WORDING_KINDS else ""
