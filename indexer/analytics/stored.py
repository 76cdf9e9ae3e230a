"""The sentence index's entries, read from the sentences the indexer kept per segment.

When the indexer writes a segment it keeps every report's sentences in
normal form (:class:`~indexer.index.SegmentWording`); the sentence index
of a server is then made from those arrays with a few sorts instead of
reading and normalizing every report's text again.
"""

from __future__ import annotations

import numpy as np

from .sentence_arrays import Entries, rows_at, sorted_entries


def entries(
    stored: list[tuple], position: dict[str, int], n_reports: int
) -> tuple[list[str], Entries] | None:
    """(keys, entries) of :class:`~indexer.analytics.SentenceIndex` from ``stored``.

    ``stored``: per segment, (its sentences, its report ids, whether each is
    live); ``position``: report id → number in the index (order of issue).
    The same entries as reading the texts report by report: keys numbered in
    order of first appearance, each key's entries by report, then place.
    None when the stored sentences do not serve: a segment without them (a
    file written before they were kept), another normal form, or a report of
    ``position`` that no segment holds live. (``fazhi check`` verifies the
    files' checksums; stored arrays that do not fit together raise ValueError.)
    """
    if not all(w is not None and w.current() for w, *_ in stored):
        return None
    forms: dict[str, int] = {}  # provisional numbers, segment by segment
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    covered = 0
    where = position.get
    for packed, rids, alive in stored:
        w = packed.unpack()
        live = zip(rids, alive, strict=True)
        pos = np.array([where(rid, -1) if ok else -1 for rid, ok in live], dtype=np.int64)
        covered += int((pos >= 0).sum())
        rep = np.repeat(pos, np.diff(w.first))
        keep = rep >= 0
        if keep.any():
            local = np.array([forms.setdefault(k, len(forms)) for k in w.keys()], dtype=np.int64)
            parts.append((local[w.key[keep]], rep[keep], w.loc[keep].astype(np.int64)))
    if covered != n_reports:
        return None
    if not parts:
        return [], Entries.of(0, [], [], [])
    kid, rep, loc = sorted_entries(*(np.concatenate(x) for x in zip(*parts, strict=True)))
    first = np.r_[np.flatnonzero(np.r_[True, kid[1:] != kid[:-1]]), len(kid)]  # by key
    starts = first[:-1]
    firsts = np.lexsort((loc[starts], rep[starts]))  # keys by first appearance
    at = rows_at(first, firsts)
    text = list(forms)
    keys = [text[k] for k in kid[starts[firsts]].tolist()]
    return keys, Entries.of_rows(np.diff(first)[firsts], rep[at], loc[at])
