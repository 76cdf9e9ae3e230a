"""Compiled loops for the steps of an exact search that whole-array operations do slowly.

An occurrence of a term of several characters is where the position lists of
its bigrams line up (:meth:`.grams.GramIndex.positions`); the passages that
hold a term are those its occurrences fall in. With array operations, lining
two lists up is a sort of both (some 7 ns a value) and finding the passages a
binary search per occurrence (some 26 ns); the loops here do both in one pass
(measured on 100,000 reports: a frequent term's lookup 2.5 times faster). A
result's matching passages are then counted by report and section in one
pass over them (:func:`count_by_report_section`).

They are compiled by numba for one signature each — ascending ``uint32``
arrays, read-only or not — when this module is first imported, and the
machine code is kept in ``__pycache__`` for the next processes. Any other type
of argument is a TypeError: nothing is compiled while a search waits. The
loops release the GIL.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

_IN = types.Array(types.uint32, 1, "C", readonly=True)
_OUT = types.Array(types.uint32, 1, "C")

#: :func:`shifted_common` searches ``b`` for each value of ``a`` when ``b`` is at
#: least this many times longer; otherwise it walks both (measured on
#: a list of 2 M values: a walk costs some 2.5 ns a value of both lists, a search
#: some 30 ns a value looked for; even at 8 to 9 times)
SEARCH_RATIO = 9


@njit(nogil=True, cache=True)
def _first_at_least(values, lo, x):  # pragma: no cover - compiled
    """The first index from ``lo`` on whose value is at least ``x`` (``len(values)`` if none)."""
    hi = len(values)
    while lo < hi:
        mid = (lo + hi) >> 1
        if np.uint64(values[mid]) < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit([_OUT(_IN, _IN, types.uint32)], nogil=True, cache=True)
def shifted_common(a, b, shift):  # pragma: no cover - compiled; tested through its callers
    """The values ``x`` of ``a`` for which ``x + shift`` is in ``b``, ascending.

    ``a`` and ``b`` ascend without repeats; ``x + shift`` is computed in 64 bits.
    ``a`` is the shorter list where one is much shorter: its values are looked up
    in ``b`` (a phrase's running intersection only shrinks; :func:`.grams._common`
    passes the shorter first).
    """
    na = len(a)
    nb = len(b)
    out = np.empty(na, dtype=np.uint32)
    n = 0
    if nb >= SEARCH_RATIO * na:  # few values to look for: a binary search each
        j = 0
        for i in range(na):
            x = np.uint64(a[i]) + np.uint64(shift)
            j = _first_at_least(b, j, x)
            if j == nb:
                break
            if np.uint64(b[j]) == x:
                out[n] = a[i]
                n += 1
    else:  # a walk of both, without a branch on which one moves
        i = 0
        j = 0
        while i < na and j < nb:
            x = np.uint64(a[i]) + np.uint64(shift)
            y = np.uint64(b[j])
            out[n] = a[i]
            n += x == y
            i += x <= y
            j += y <= x
    return out[:n]


#: a block's table of passages (:func:`passage_table`) has an entry every ``2**TABLE_SHIFT``
#: positions (measured at 100,000 reports: every 64 positions, 250 KB a block, finds a
#: frequent bigram's passages twice as fast as a walk over the passages between its
#: positions; every 128, 1.6 times)
TABLE_SHIFT = 6


def passage_table(starts: np.ndarray) -> np.ndarray:
    """For :func:`passages_of`: the passage at each ``2**TABLE_SHIFT``-th position of a
    block whose passage ``p`` spans ``[starts[p], starts[p + 1])``."""
    probes = np.arange(0, int(starts[-1]) + 1 if len(starts) else 1, 1 << TABLE_SHIFT)
    found = np.searchsorted(starts, probes, side="right").astype(np.int64) - 1
    return np.clip(found, 0, max(len(starts) - 2, 0)).astype(np.uint32)


@njit([_OUT(_IN, _IN, _IN)], nogil=True, cache=True)
def passages_of(at, starts, table):  # pragma: no cover - compiled; tested through its callers
    """The passages that the ascending positions ``at`` fall in, each once, ascending.

    Passage ``p`` spans ``[starts[p], starts[p + 1])``; positions past the last
    passage count as its own. ``table`` is :func:`passage_table` of ``starts``:
    each position's passage is looked for from the table's entry before it.
    """
    out = np.empty(len(at), dtype=np.uint32)
    if len(starts) < 2 or len(table) == 0:
        return out[:0]
    last_passage = len(starts) - 2
    last_entry = len(table) - 1
    n = 0
    previous = -1
    for i in range(len(at)):
        x = np.int64(at[i])
        p = min(np.int64(table[min(x >> TABLE_SHIFT, last_entry)]), last_passage)
        while p > 0 and starts[p] > x:  # a table of other starts: never past the passage
            p -= 1
        while p < last_passage and starts[p + 1] <= x:
            p += 1
        out[n] = p
        n += p != previous
        previous = p
    return out[:n]


#: :func:`count_by_report_section` skips passages eight at a time when fewer than one
#: in this many matches (measured at 100,000 reports: 1.6 instead of 8 ms for 17,655
#: matches of 4 M passages; twice as slow as adding every passage for 21 % of them)
FEW_MATCHES = 16


@njit(
    [
        types.Array(types.int32, 2, "C")(
            types.Array(types.boolean, 1, "C", readonly=True),
            types.Array(types.int64, 1, "C", readonly=True),
            types.Array(types.uint8, 1, "C", readonly=True),
            types.intp,
        )
    ],
    nogil=True,
    cache=True,
)
def count_by_report_section(matches, rep_first, p_section, n_sections):  # pragma: no cover
    """How many passages of each report (rows) in each section (the first ``n_sections``
    columns) ``matches`` marks, and in all (the last column).

    Report ``r``'s passages are ``rep_first[r]:rep_first[r + 1]``; ``p_section`` is each
    passage's section number, below ``n_sections`` (ValueError otherwise).
    """
    n = max(len(rep_first) - 1, 0)
    out = np.zeros((n, n_sections + 1), dtype=np.int32)
    end = min(len(matches), len(p_section))
    for r in range(n):
        if rep_first[r] < 0 or rep_first[r] > rep_first[r + 1] or rep_first[r + 1] > end:
            raise ValueError("a report's passages lie outside the passages given")
    total = rep_first[n] if n else 0
    if np.count_nonzero(matches[:total]) * FEW_MATCHES < total:
        # few matches: eight passages at a time skipped while none of them matches
        flags = matches.view(np.uint8)
        r = 0
        p = 0
        while p < total:
            if (p & 7) == 0 and p + 8 <= total:
                if (flags[p] | flags[p + 1] | flags[p + 2] | flags[p + 3] | flags[p + 4]
                        | flags[p + 5] | flags[p + 6] | flags[p + 7]) == 0:  # fmt: skip
                    p += 8
                    continue
            if flags[p]:
                while rep_first[r + 1] <= p:
                    r += 1
                s = p_section[p]
                if s >= n_sections:
                    raise ValueError("a passage's section number is out of range")
                out[r, s] += 1
                out[r, n_sections] += 1
            p += 1
        return out
    for r in range(n):  # many: every passage added, without a branch on whether it matches
        for p in range(rep_first[r], rep_first[r + 1]):
            s = p_section[p]
            if s >= n_sections:
                raise ValueError("a passage's section number is out of range")
            out[r, s] += matches[p]
            out[r, n_sections] += matches[p]
    return out


@njit(
    [
        types.Tuple((types.Array(types.int64, 1, "C"), types.Array(types.float64, 1, "C")))(
            types.Array(types.int32, 2, "C", readonly=True),
            types.Array(types.boolean, 1, "C", readonly=True),
            types.Array(types.float64, 1, "C", readonly=True),
        )
    ],
    nogil=True,
    cache=True,
)
def section_totals(counts, rows, weights):  # pragma: no cover - compiled
    """From :func:`count_by_report_section`'s ``counts``: how many of the reports that
    ``rows`` marks have a count in each section (the first ``len(weights)`` columns), and
    each report's score, its counts weighed by ``weights`` (every report, marked or not).

    In one pass over the counts (numpy's row selection and matrix product copied the
    whole table twice: some 10 ms at 100,000 reports).
    """
    n, width = counts.shape
    n_sections = len(weights)
    if n_sections > width or len(rows) != n:
        raise ValueError("the counts, rows and weights do not fit together")
    per_section = np.zeros(n_sections, dtype=np.int64)
    score = np.zeros(n, dtype=np.float64)
    for r in range(n):
        total = 0.0
        for s in range(n_sections):
            c = counts[r, s]
            total += c * weights[s]
            if rows[r] and c > 0:
                per_section[s] += 1
        score[r] = total
    return per_section, score


@njit([types.void(types.Array(types.boolean, 1, "C"), _IN)], nogil=True, cache=True)
def mark(mask, at):  # pragma: no cover - compiled
    """Set ``mask[i]`` for every ``i`` of ``at`` (IndexError if one is out of range):
    what ``mask[at] = True`` does, without numpy's copy of ``at`` to its index type
    (a third of the time a one-character term took to look up at 100,000 reports)."""
    n = len(mask)
    for i in range(len(at)):
        if at[i] >= n:
            raise IndexError("a passage number beyond the mask")
    for i in range(len(at)):
        mask[at[i]] = True


@njit(
    [types.Array(types.int64, 2, "C")(_IN, _IN, _IN, _IN, _IN, _IN, _IN, types.int64)],
    nogil=True,
    cache=True,
)
def term_grams(
    points, alphabet, bi_keys, bi_starts, fq_keys, qd_keys, qd_starts, quad_min
):  # pragma: no cover
    """The lists a block holds for a term's characters ``points`` (code points, 2 or
    more): one row (list length, offset, characters, where the list begins) for each
    bigram, then one for each four-character list of two frequent bigrams when every
    bigram has at least ``quad_min`` positions (see :meth:`.grams.GramIndex._grams`, the
    same in array operations). No rows when one of them is absent, and so the term.
    """
    k = len(points)
    none = np.zeros((0, 4), dtype=np.int64)
    width = len(alphabet)
    codes = np.empty(k, dtype=np.uint64)
    for i in range(k):
        x = np.uint64(points[i])
        j = _first_at_least(alphabet, 0, x)
        if j == width or np.uint64(alphabet[j]) != x:
            return none
        codes[i] = j
    out = np.empty((2 * k, 4), dtype=np.int64)
    keys = np.empty(k - 1, dtype=np.uint64)
    fewest = -1
    for o in range(k - 1):
        key = codes[o] * np.uint64(width) + codes[o + 1]
        j = _first_at_least(bi_keys, 0, key)
        if j == len(bi_keys) or np.uint64(bi_keys[j]) != key:
            return none
        a = np.int64(bi_starts[j])
        n = np.int64(bi_starts[j + 1]) - a
        out[o, 0], out[o, 1], out[o, 2], out[o, 3] = n, o, 2, a
        keys[o] = key
        fewest = n if fewest < 0 or n < fewest else fewest
    m = k - 1
    f = len(fq_keys)
    if f == 0 or k < 4 or fewest < quad_min:
        return out[:m]
    rank = np.full(k - 1, -1, dtype=np.int64)
    for o in range(k - 1):
        j = _first_at_least(fq_keys, 0, keys[o])
        if j < f and np.uint64(fq_keys[j]) == keys[o]:
            rank[o] = j
    for o in range(k - 3):
        if rank[o] >= 0 and rank[o + 2] >= 0:
            q = np.uint64(rank[o] * f + rank[o + 2])
            j = _first_at_least(qd_keys, 0, q)
            if j == len(qd_keys) or np.uint64(qd_keys[j]) != q:
                return none
            a = np.int64(qd_starts[j])
            out[m, 0], out[m, 1], out[m, 2], out[m, 3] = np.int64(qd_starts[j + 1]) - a, o, 4, a
            m += 1
    return out[:m]
