"""The sentence index in flat arrays: each key's entries, and the prefix index over its shingles.

A Python list, dictionary or string per normal form or per shingle costs
its overhead for every one of them: at 100,000 reports of the benchmark's
corpus (64,379 normal forms, 8.8 M entries, 193,032 distinct shingles)
the index took 219 MB of a server that way. Here every table is a few
numpy arrays; a key's or a shingle's rows are a slice of them (compressed
rows: ``first[k]:first[k + 1]``).

Shingles are numbered by a 63-bit code of their three characters
(:func:`shingle_codes`), so that a whole list of keys is cut into shingles
by a handful of array operations instead of a string per shingle.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .sentences import SHINGLE

_BITS = 21  # a code point fits in 21 bits: three of them in 63
_LOW = (1 << 32) - 1


def _short_code(key: str) -> int:
    """The code of a key shorter than a shingle (its one shingle is itself): negative,
    so never the code of three characters."""
    v = len(key)
    for ch in key:
        v = (v << _BITS) | ord(ch)
    return -1 - v


def _shingles_of(keys: Sequence[str], base: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(key number, which code) of the distinct shingles of each key, by key then code,
    and the distinct codes (ascending) that ``which`` numbers (see :func:`shingle_codes`)."""
    n = len(keys)
    if not n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    chars = np.frombuffer("".join(keys).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    chars = chars.astype(np.int64)
    per_key = np.maximum(lengths - (SHINGLE - 1), 1)
    kid = np.repeat(np.arange(n, dtype=np.int64), per_key)
    ends = np.cumsum(per_key)
    at = np.arange(int(ends[-1]), dtype=np.int64) - np.repeat(ends - per_key, per_key)
    at += np.repeat(np.cumsum(lengths) - lengths, per_key)  # where the key starts
    code = np.empty(len(kid), dtype=np.int64)
    full = lengths[kid] >= SHINGLE
    a = at[full]
    code[full] = (chars[a] << 2 * _BITS) | (chars[a + 1] << _BITS) | chars[a + 2]
    for i in np.flatnonzero(~full).tolist():
        code[i] = _short_code(keys[int(kid[i])])
    known, inverse = np.unique(code, return_inverse=True)
    packed = np.sort((kid << 32) | inverse.ravel())  # by key, then code
    packed = packed[np.r_[True, packed[1:] != packed[:-1]]]  # distinct
    return (packed >> 32) + base, known, packed & _LOW


def shingle_codes(keys: Sequence[str], base: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(key number, shingle code) of the distinct shingles of each key, by key then code.

    The same sets as :func:`~indexer.analytics.sentences.shingles`, as codes:
    three characters ``a b c`` are ``a << 42 | b << 21 | c``. Keys are
    numbered from ``base``.
    """
    kid, known, which = _shingles_of(keys, base)
    return kid, known[which]


def sorted_entries(kid, rep, loc) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries (key numbers, and report numbers and places below 2**32) in order of
    key, report, place.

    One sort of packed 63-bit values when their bits fit (the usual case: a
    third of the time of sorting by three keys), else two stable passes.
    """
    kid, rep, loc = (np.asarray(x, dtype=np.int64) for x in (kid, rep, loc))
    if not len(kid):
        return kid, rep, loc
    bits_rep, bits_loc = int(rep.max()).bit_length(), int(loc.max()).bit_length()
    if int(kid.max()).bit_length() + bits_rep + bits_loc <= 63:
        packed = np.sort((kid << (bits_rep + bits_loc)) | (rep << bits_loc) | loc)
        return (
            packed >> (bits_rep + bits_loc),
            (packed >> bits_loc) & ((1 << bits_rep) - 1),
            (packed & ((1 << bits_loc) - 1)),
        )
    order = np.argsort(_pair(rep, loc))  # (report, place) is distinct within a key
    order = order[np.argsort(kid[order], kind="stable")]
    return kid[order], rep[order], loc[order]


def _pair(rep: np.ndarray, loc: np.ndarray) -> np.ndarray:
    """(report, place) packed in one value, in the same order."""
    return (rep.astype(np.uint64) << np.uint64(32)) | loc.astype(np.uint64)


def prefix_lengths(sizes: np.ndarray, threshold: float) -> np.ndarray:
    """:func:`~indexer.analytics.sentences.prefix_length` of each size."""
    sizes = sizes.astype(np.int64)
    return sizes - np.ceil(threshold * sizes - 1e-9).astype(np.int64) + 1


def rows_at(first: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where the values of the given rows of a compressed-row table are, one row
    after another (``values[rows_at(first, rows)]`` gathers them)."""
    lo = first[rows]
    n = first[rows + 1] - lo
    ends = np.cumsum(n)
    total = int(ends[-1]) if len(ends) else 0
    return np.arange(total, dtype=np.int64) + np.repeat(lo - (ends - n), n)


def _gather(first: np.ndarray, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The values of the given rows of a compressed-row table, one after another."""
    return values[rows_at(first, rows)]


class Slices(Sequence):
    """Row ``k`` of a compressed-row table as a read-only ``memoryview`` of its values
    (Python ints when indexed, ascending like the row; ``np.frombuffer`` reads it)."""

    __slots__ = ("values", "first")

    def __init__(self, values: np.ndarray, first: np.ndarray) -> None:
        self.values = memoryview(values).toreadonly()
        self.first = first

    def __len__(self) -> int:
        return len(self.first) - 1

    def __getitem__(self, k: int) -> memoryview:
        if not 0 <= k < len(self.first) - 1:
            raise IndexError(k)
        return self.values[self.first[k] : self.first[k + 1]]

    def __iter__(self) -> Iterator[memoryview]:
        v, f = self.values, self.first.tolist()
        return (v[a:b] for a, b in zip(f, f[1:], strict=False))


class Entries:
    """Each key's entries: the numbers of the reports holding it and where in them
    (ascending by report, then place); key ``k``'s are ``first[k]:first[k + 1]``.

    ``reps[k]`` and ``locs[k]`` give them as sequences of ints. Never changed
    once made: an update makes new arrays (the older index may still answer).
    """

    __slots__ = ("first", "rep", "loc", "reps", "locs")

    def __init__(self, first: np.ndarray, rep: np.ndarray, loc: np.ndarray) -> None:
        self.first = first.astype(np.int64, copy=False)
        self.rep = rep.astype(np.uint32, copy=False)
        self.loc = loc.astype(np.uint32, copy=False)
        self.reps = Slices(self.rep, self.first)
        self.locs = Slices(self.loc, self.first)

    @classmethod
    def of_rows(cls, counts: np.ndarray, rep: np.ndarray, loc: np.ndarray) -> Entries:
        """From each key's number of entries and the entries, key after key, in order."""
        return cls(np.r_[0, np.cumsum(counts, dtype=np.int64)], rep, loc)

    @classmethod
    def of(cls, n_keys: int, kid, rep, loc) -> Entries:
        """From entries in any order (key numbers below ``n_keys``)."""
        kid, rep, loc = sorted_entries(kid, rep, loc)
        return cls.of_rows(np.bincount(kid, minlength=n_keys), rep, loc)

    def __len__(self) -> int:
        return len(self.first) - 1

    def counts(self) -> np.ndarray:
        """The number of entries of each key."""
        return np.diff(self.first)

    def rows_of(self, kids: np.ndarray) -> np.ndarray:
        """Where the entries of keys ``kids`` are, key after key (for ``rep`` and ``loc``)."""
        return rows_at(self.first, np.asarray(kids, dtype=np.int64))

    def reports_of(self, kids: np.ndarray) -> np.ndarray:
        """The report numbers of the entries of keys ``kids``, key after key (a report
        once per occurrence): one gather for a family of keys."""
        return self.rep[self.rows_of(kids)]

    def counts_of(self, kids: np.ndarray) -> np.ndarray:
        """How many entries each of keys ``kids`` has."""
        kids = np.asarray(kids, dtype=np.int64)
        return self.first[kids + 1] - self.first[kids]

    def count_of(self, kids: np.ndarray) -> int:
        """How many entries keys ``kids`` have in all."""
        return int(self.counts_of(kids).sum())

    def renumbered(self, kept: np.ndarray) -> Entries:
        """The entries with report ``r`` renumbered ``kept[r]``, dropped where that is < 0
        (``kept`` ascending where ≥ 0, so each key's entries stay in order)."""
        rep = np.asarray(kept, dtype=np.int64)[self.rep]
        alive = rep >= 0
        if alive.all():
            return Entries(self.first, rep, self.loc)
        kid = np.repeat(np.arange(len(self), dtype=np.int64), self.counts())
        counts = np.bincount(kid[alive], minlength=len(self))
        return Entries.of_rows(counts, rep[alive], self.loc[alive])

    def with_added(self, n_keys: int, kid, rep, loc) -> Entries:
        """These entries and the given ones (any order), for ``n_keys`` keys in all:
        each inserted in its place, the arrays copied once."""
        kid, rep, loc = sorted_entries(kid, rep, loc)
        n_old = len(self)
        at = np.full(len(kid), len(self.rep), dtype=np.int64)  # new keys go last
        both = _pair(rep, loc)
        keys, starts = np.unique(kid, return_index=True)
        stops = np.r_[starts[1:], len(kid)][: len(starts)]
        for k, a, b in zip(keys.tolist(), starts.tolist(), stops.tolist(), strict=True):
            if k >= n_old:
                break
            lo, hi = int(self.first[k]), int(self.first[k + 1])
            held = _pair(self.rep[lo:hi], self.loc[lo:hi])
            at[a:b] = lo + np.searchsorted(held, both[a:b])
        counts = np.zeros(n_keys, dtype=np.int64)
        counts[:n_old] = self.counts()
        counts += np.bincount(kid, minlength=n_keys)
        return Entries.of_rows(
            counts,
            np.insert(self.rep, at, rep.astype(np.uint32)),
            np.insert(self.loc, at, loc.astype(np.uint32)),
        )

    def nbytes(self) -> int:
        return self.first.nbytes + self.rep.nbytes + self.loc.nbytes


class Shingles:
    """The prefix index: each key's distinct shingles by rank, and the keys by their rarest.

    Shingles are ranked rarest first (ties by code) at a full build; an
    update ranks the new ones after all others (any fixed order is exact).
    ``code``/``rank``: the shingles known, by code, with their rank;
    ``sizes[k]``: key ``k``'s number of distinct shingles; its ranks,
    ascending, are ``ranks[first[k]:first[k + 1]]``; the keys having the
    shingle of rank ``r`` among their first :func:`prefix_lengths` are
    ``post_kid[post_first[r]:post_first[r + 1]]``.
    """

    __slots__ = ("threshold", "code", "rank", "sizes", "first", "ranks", "post_first", "post_kid")

    def __init__(self, threshold: float, code, rank, sizes, first, ranks, post_first, post_kid):
        self.threshold = threshold
        self.code, self.rank = code, rank
        self.sizes, self.first, self.ranks = sizes, first, ranks
        self.post_first, self.post_kid = post_first, post_kid

    @classmethod
    def build(cls, keys: Sequence[str], threshold: float) -> Shingles:
        kid, known, which = _shingles_of(keys)
        df = np.bincount(which, minlength=len(known))  # keys holding each shingle
        rank = np.empty(len(known), dtype=np.int32)
        rank[np.argsort(df, kind="stable")] = np.arange(len(known), dtype=np.int32)
        empty = cls(
            threshold, known, rank, *_no_keys(), np.zeros(1, np.int64), np.zeros(0, np.int32)
        )
        return empty._with_keys(kid, rank[which], len(keys))

    def extended(self, keys: Sequence[str], start: int) -> Shingles:
        """This index with keys ``keys[start:]`` added (numbered from ``start``);
        their shingles not known yet ranked last."""
        kid, code = shingle_codes(keys[start:], start)
        at, found = self._find(code)
        new = np.unique(code[~found])
        code_all = np.concatenate([self.code, new])
        rank_all = np.concatenate(
            [self.rank, np.arange(len(self.code), len(code_all), dtype=np.int32)]
        )
        order = np.argsort(code_all, kind="stable")
        grown = Shingles(
            self.threshold, code_all[order], rank_all[order], self.sizes, self.first,
            self.ranks, self.post_first, self.post_kid,
        )  # fmt: skip
        at, _ = grown._find(code)
        return grown._with_keys(kid, grown.rank[at], len(keys))

    def _with_keys(self, kid: np.ndarray, rank: np.ndarray, n_keys: int) -> Shingles:
        """This index with the shingles (ranks) of the keys from ``len(self.sizes)`` on added."""
        start = len(self.sizes)
        packed = np.sort((kid << 32) | rank.astype(np.int64))  # by key, then rank
        kid, rank = packed >> 32, (packed & _LOW).astype(np.int32)
        sizes = np.bincount(kid - start, minlength=n_keys - start).astype(np.uint32)
        first = np.r_[self.first, self.first[-1] + np.cumsum(sizes, dtype=np.int64)]
        within = np.arange(len(kid), dtype=np.int64) - np.repeat(
            first[start:-1] - first[start], sizes
        )
        head = within < np.repeat(prefix_lengths(sizes, self.threshold), sizes)
        n_ranks = len(self.code)
        old = np.repeat(
            np.arange(len(self.post_first) - 1, dtype=np.int32), np.diff(self.post_first)
        )
        post_rank = np.concatenate([old, rank[head]])
        post_kid = np.concatenate([self.post_kid, kid[head].astype(np.int32)])
        order = np.argsort(post_rank, kind="stable")  # each shingle's keys ascending
        post_rank, post_kid = post_rank[order], post_kid[order]
        return Shingles(
            self.threshold, self.code, self.rank,
            np.concatenate([self.sizes, sizes]), first,
            np.concatenate([self.ranks, rank]),
            np.searchsorted(post_rank, np.arange(n_ranks + 1)), post_kid,
        )  # fmt: skip

    def _find(self, code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each code is among the known ones, and whether it is there."""
        at = np.searchsorted(self.code, code)
        at = np.minimum(at, max(len(self.code) - 1, 0))
        found = self.code[at] == code if len(self.code) else np.zeros(len(code), dtype=bool)
        return at, found

    # -- lookups

    def of_key(self, kid: int) -> np.ndarray:
        """The ranks of key ``kid``'s shingles, ascending."""
        return self.ranks[self.first[kid] : self.first[kid + 1]]

    def of_text(self, key: str) -> tuple[int, np.ndarray]:
        """The number of distinct shingles of a normal form, and the ranks of those
        known, ascending (the unknown ones are in no key: they rank after all)."""
        _, code = shingle_codes([key])
        at, found = self._find(code)
        return len(code), np.sort(self.rank[at[found]])

    def candidates(self, n: int, ranks: np.ndarray) -> np.ndarray:
        """The keys sharing one of the rarest shingles of a set of ``n`` whose known
        ones have ``ranks`` (ascending): the only ones that can be near-identical."""
        head = ranks[: int(prefix_lengths(np.array([n]), self.threshold)[0])]
        return np.unique(_gather(self.post_first, self.post_kid, head.astype(np.int64)))

    def verified(
        self, n: int, ranks: np.ndarray, cands: np.ndarray, alive: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The candidates whose shingles overlap a set of ``n`` with known ``ranks`` by
        at least the threshold, with the overlap; ``alive``: keys that may be listed."""
        if not len(cands):
            return []
        t = self.threshold
        cands = cands.astype(np.int64)
        nb = self.sizes[cands].astype(np.int64)
        ok = (nb >= t * n) & (n >= t * nb)  # else sizes too far apart to overlap enough
        if alive is not None:
            ok &= alive[cands]
        cands, nb = cands[ok], nb[ok]
        if not len(cands):
            return []
        held = np.isin(_gather(self.first, self.ranks, cands), ranks)
        counts = np.diff(self.first)[cands]
        sim = np.bincount(np.repeat(np.arange(len(cands)), counts), held, len(cands))
        sim = sim / np.maximum(n, nb)
        found = sim >= t
        return list(zip(cands[found].tolist(), sim[found].tolist(), strict=True))

    def nbytes(self) -> int:
        return sum(getattr(self, f).nbytes for f in self.__slots__[1:])


def _no_keys() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros(0, np.int32)
