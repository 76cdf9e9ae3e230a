"""Character-gram postings held in numpy arrays: the exact-search index.

The folded passages of one segment are laid end to end, each followed by one
separator position, and two posting tables are built over them:

* for every pair of adjacent characters (bigram) inside a passage, the
  ascending positions where it starts;
* for every character (unigram), the ascending passages that contain it.

* for every four characters whose two bigrams are both among the block's
  most frequent (each at least :data:`QUAD_SHARE`-th of its positions), the
  ascending positions where they start: the few long bigram lists (法治,
  政府, 建设 …) are then rarely walked whole.

A term of two or more characters is found by taking grams that cover every
one of its characters (the shortest lists first, see :func:`_cover`) and
keeping the start positions where each of them sits at its offset: that is
exactly the set of places where the term occurs (two characters in adjacent
positions are always in one passage), so no passage text has to be checked
afterwards. A one-character term is its unigram postings. Both are exact,
independent of word segmentation, and cost a few array operations per gram; lining the
position lists up and finding the passages of the occurrences are compiled
loops (:mod:`.kernels`).

The tables are built from the folded text with sorts over whole arrays (no
Python loop per character): a segment of 10,000 reports (41 M characters)
takes a few seconds, once, when the indexer writes the segment (see
:mod:`indexer.index.segfile`, which stores the arrays for readers to memory-map).
Characters get dense codes ``0..V-1`` (ascending code point, the block's
``alphabet``); the key of a bigram ``(a, b)`` is ``a * V + b``. Arrays use the
narrowest type that holds their values: keys and offsets 32 bits, the
passages of a character 16 bits when a block has at most 65,536 passages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

_EMPTY = np.zeros(0, dtype=np.uint32)
#: characters per block of passages: bounds the memory a build takes for a
#: moment (about 50 bytes per character) and keeps positions in 32 bits
BLOCK_CHARS = 4_000_000
#: bytes of term results an index keeps (the most recently used terms), shared
#: among its segments by their passages (:meth:`SegmentGrams.share_cache`): the
#: same phrases are searched again and again, and a search page looks its
#: terms up twice (the results, then the practices they mention)
TERM_CACHE_BYTES = 64 << 20
#: the least a segment keeps, however small its share
TERM_CACHE_MIN = 256 << 10
#: a bigram is frequent in a block when it holds at least this fraction (1 / n) of
#: the block's bigram positions, and at least :data:`QUAD_MIN` of them; the four
#: characters of two frequent bigrams get a list of their own. Measured at 100,000
#: reports: some 90 bigrams a block, a fifth of its positions; the four-character
#: lists hold 7 % as many positions as the bigram lists
QUAD_SHARE = 1024
QUAD_MIN = 512
#: at most this many frequent bigrams a block (the most frequent): a pair of them
#: is numbered in 32 bits
QUAD_MAX_BIGRAMS = 1 << 16


def _narrow(values: np.ndarray, bound: int) -> np.ndarray:
    """``values`` (all below ``bound``) as 16, 32 or 64-bit unsigned integers."""
    for dtype in (np.uint16, np.uint32):
        if bound <= np.iinfo(dtype).max + 1:
            return values.astype(dtype)
    return values.astype(np.uint64)


def _csr(
    pairs: np.ndarray, low_bits: int, key_bound: int, value_bound: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted ``key << low_bits | value`` → (distinct keys, starts, values), each narrowed."""
    keys = pairs >> np.uint64(low_bits)
    values = _narrow(pairs & np.uint64((1 << low_bits) - 1), value_bound)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    at = np.flatnonzero(first)
    starts = np.append(at, len(keys))
    return (
        _narrow(keys[at], max(key_bound, 1 << 17)),
        _narrow(starts, max(len(keys) + 1, 1 << 17)),
        values,
    )


def _dedup(sorted_pairs: np.ndarray) -> np.ndarray:
    keep = np.ones(len(sorted_pairs), dtype=bool)
    keep[1:] = sorted_pairs[1:] != sorted_pairs[:-1]
    return sorted_pairs[keep]


def kernels():
    """The compiled loops (:mod:`.kernels`), imported when first asked for: numba and the
    loops' machine code take some 0.6 s to load, which commands that look nothing up
    (``fazhi --help``, building an index) do not pay. A reader of the index asks for
    them when it opens, before its first search."""
    from . import kernels as compiled

    return compiled


def _common(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values in both ``a`` and ``b`` (each ascending, without repeats, below 2**32),
    ascending, as ``uint32``."""
    if len(a) > len(b):  # the shorter first: its values are the ones looked up
        a, b = b, a
    return kernels().shifted_common(
        a.astype(np.uint32, copy=False), b.astype(np.uint32, copy=False), 0
    )


def _in_spans(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The ascending ``values`` that lie in one of the ascending, disjoint spans
    ``[lo[i], hi[i])``: two searches per span, none per value."""
    first = np.searchsorted(values, lo)
    count = np.searchsorted(values, hi) - first
    keep = count > 0
    first, count = first[keep], count[keep]
    if not len(count):
        return values[:0]
    if int(count.sum()) == len(values):
        return values
    # the index of each value kept, as steps: to each span's first value, then by one
    step = np.ones(int(count.sum()), dtype=np.int64)
    step[0] = first[0]
    step[np.cumsum(count)[:-1]] = first[1:] - (first[:-1] + count[:-1] - 1)
    return values[np.cumsum(step)]


#: the four-character lists of a block written before them: none
_QUADS_NONE = {"fq_keys": _EMPTY, "qd_keys": _EMPTY, "qd_starts": np.zeros(1, np.uint32),
               "qd_pos": _EMPTY}  # fmt: skip


def _cover(k: int, grams: list[tuple]) -> list[tuple]:
    """Which of ``grams`` (list length, offset, characters, …) to line up for a term of ``k``
    characters: every character covered, by the lists of fewest positions per character
    they add (greedy), the shortest of them first."""
    uncovered = (1 << k) - 1
    masks = [((1 << g[2]) - 1) << g[1] for g in grams]
    chosen = []
    while uncovered:
        best, best_cost = -1, 0.0
        for i, g in enumerate(grams):
            new = (masks[i] & uncovered).bit_count()
            if new:
                cost = g[0] / new
                if best < 0 or cost < best_cost or (cost == best_cost and g[2] > grams[best][2]):
                    best, best_cost = i, cost
        chosen.append(grams[best])
        uncovered &= ~masks[best]
    return sorted(chosen)


def _bits(n: int) -> int:
    return max(1, int(n).bit_length())


class GramIndex:
    """Bigram positions and unigram passages of a segment's folded passages.

    ``points``: the code points of the folded passages, concatenated (no
    separators); ``lens``: the length of each passage.
    """

    #: the arrays it holds
    ARRAYS = (
        "alphabet", "starts", "bi_keys", "bi_starts", "bi_pos", "uni_keys", "uni_starts", "uni_pids",
        "fq_keys", "qd_keys", "qd_starts", "qd_pos",
    )  # fmt: skip
    #: arrays a block written before them lacks (it is then looked up by bigrams alone)
    OPTIONAL = frozenset({"fq_keys", "qd_keys", "qd_starts", "qd_pos"})
    __slots__ = ("n", "width", "table", *ARRAYS)

    def __init__(self, points: np.ndarray, lens: np.ndarray) -> None:
        self.n = len(lens)
        self.table = None
        lens = lens.astype(np.int64)
        alphabet = np.flatnonzero(np.bincount(points)) if len(points) else _EMPTY
        self.alphabet = alphabet.astype(np.uint32)
        width = self.width = len(alphabet)
        table = np.zeros(int(alphabet[-1]) + 1 if width else 1, dtype=np.uint64)
        table[alphabet] = np.arange(width, dtype=np.uint64)
        coded = table[points]
        # each passage starts at its own offset in a line with one separator
        # position after every passage (bigrams never span it)
        if len(points) + self.n >= 2**32:
            raise ValueError(f"too many characters for one block ({len(points)})")
        self.starts = np.zeros(self.n + 1, dtype=np.uint32)
        np.cumsum(lens + 1, out=self.starts[1:])
        pid = np.repeat(np.arange(self.n, dtype=np.uint64), lens)
        pos = np.arange(len(points), dtype=np.uint64) + pid  # one separator per passage
        # bigrams: key << pos_bits | position, sorted → positions ascending per key
        pos_bits = _bits(int(self.starts[-1]))
        if pos_bits + _bits(width * width) > 64 or _bits(self.n) + _bits(width) > 64:
            raise ValueError(f"segment too large for the gram index ({len(points)} characters)")
        same = pid[1:] == pid[:-1]
        keys = coded[:-1][same] * np.uint64(width) + coded[1:][same]
        pairs = (keys << np.uint64(pos_bits)) | pos[:-1][same]
        del keys, same
        pairs.sort()
        self.bi_keys, self.bi_starts, self.bi_pos = _csr(
            pairs, pos_bits, width * width, 1 << 32
        )  # positions stay 32-bit: a term's hits are offset and compared as such
        del pairs, pos
        self._build_quads(pos_bits)
        # unigrams: distinct (character, passage), passages ascending per character
        pid_bits = _bits(self.n)
        pairs = (coded << np.uint64(pid_bits)) | pid
        del coded, pid
        pairs.sort()
        self.uni_keys, self.uni_starts, self.uni_pids = _csr(_dedup(pairs), pid_bits, width, self.n)

    def _build_quads(self, pos_bits: int) -> None:
        """The frequent bigrams (``fq_keys``, ascending) and, for each pair of them one
        after the other (at ``p`` and ``p + 2``), the positions ``p`` (``qd_*``: the key of
        a pair is ``rank(first) * len(fq_keys) + rank(second)``)."""
        counts = np.diff(self.bi_starts.astype(np.int64))
        least = max(QUAD_MIN, len(self.bi_pos) // QUAD_SHARE, 1)
        chosen = np.flatnonzero(counts >= least)
        if len(chosen) > QUAD_MAX_BIGRAMS:  # the most frequent (ties: the lower keys)
            top = np.argsort(-counts[chosen], kind="stable")[:QUAD_MAX_BIGRAMS]
            chosen = np.sort(chosen[top])
        f = len(chosen)
        self.fq_keys = self.bi_keys[chosen]  # the keys' own type: 64 bits in a wide block
        if f == 0:
            self.qd_keys, self.qd_starts, self.qd_pos = (
                _QUADS_NONE[x] for x in ("qd_keys", "qd_starts", "qd_pos")
            )
            return
        rank = np.full(len(counts), -1, dtype=np.int32)
        rank[chosen] = np.arange(f)
        rank_at = np.full(int(self.starts[-1]) + 2, -1, dtype=np.int32)
        rank_at[self.bi_pos] = np.repeat(rank, counts)
        # two bigrams at p and p + 2 imply four characters in one passage
        at = np.flatnonzero((rank_at[:-2] >= 0) & (rank_at[2:] >= 0)).astype(np.uint64)
        keys = rank_at[at].astype(np.uint64) * np.uint64(f) + rank_at[at + 2].astype(np.uint64)
        del rank_at
        pairs = (keys << np.uint64(pos_bits)) | at
        del keys, at
        pairs.sort()
        self.qd_keys, self.qd_starts, self.qd_pos = _csr(pairs, pos_bits, f * f, 1 << 32)

    @classmethod
    def from_arrays(cls, n: int, arrays: dict[str, np.ndarray]) -> GramIndex:
        """A block from the arrays :meth:`arrays` gave (e.g. memory-mapped from a file)."""
        missing = set(cls.ARRAYS) - set(arrays) - cls.OPTIONAL
        if missing:
            raise ValueError(f"gram block lacks {sorted(missing)}")
        if cls.OPTIONAL - set(arrays) and not cls.OPTIONAL.isdisjoint(arrays):
            raise ValueError(f"gram block lacks {sorted(cls.OPTIONAL - set(arrays))}")
        block = cls.__new__(cls)
        block.n = n
        for name in cls.ARRAYS:
            setattr(block, name, arrays.get(name, _QUADS_NONE.get(name)))
        block.width = len(block.alphabet)
        block.table = None
        if len(block.starts) != n + 1:
            raise ValueError(f"gram block of {n} passages has {len(block.starts) - 1}")
        return block

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}

    # -- lookup

    def _codes(self, term: str) -> list[int] | None:
        """The block's codes of the term's characters; None if one does not occur."""
        if not self.width:
            return None
        points = np.fromiter(map(ord, term), dtype=np.uint32, count=len(term))
        at = np.minimum(np.searchsorted(self.alphabet, points), self.width - 1)
        if (self.alphabet[at] != points).any():
            return None
        return at.tolist()

    @staticmethod
    def _slice(keys, starts, values, key: int) -> np.ndarray:
        if not len(keys) or key > int(keys[-1]):
            return _EMPTY
        # the key as the keys' own type: a Python int would have numpy convert the
        # whole array to int64 first (10 µs instead of 1.5 for a block's bigrams)
        i = int(np.searchsorted(keys, keys.dtype.type(key)))
        if i == len(keys) or int(keys[i]) != key:
            return _EMPTY
        return values[starts[i] : starts[i + 1]]

    @staticmethod
    def _found(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each of ``wanted``: where it is in the ascending ``keys``, and whether it is."""
        if not len(keys):
            return np.zeros(len(wanted), np.intp), np.zeros(len(wanted), bool)
        at = np.minimum(np.searchsorted(keys, wanted.astype(keys.dtype)), len(keys) - 1)
        return at, keys[at] == wanted

    def _term_grams(self, term: str) -> list | None:
        """:meth:`_grams` of a term, by the compiled loop when the block's arrays are of its
        type (32 bits: every block but one of more than 65,536 distinct characters or
        2**32 positions): a few microseconds instead of some forty in array operations,
        for each of a hundred blocks at 100,000 reports."""
        arrays = (self.alphabet, self.bi_keys, self.bi_starts, self.fq_keys, self.qd_keys,
                  self.qd_starts)  # fmt: skip
        if all(a.dtype == np.uint32 for a in arrays):
            points = np.fromiter(map(ord, term), dtype=np.uint32, count=len(term))
            rows = kernels().term_grams(points, *arrays, QUAD_MIN)
            return rows.tolist() if len(rows) else None
        codes = self._codes(term)
        return None if codes is None else self._grams(codes)

    def _grams(self, codes: list[int]) -> list[tuple[int, int, int, int]] | None:
        """(list length, offset, characters, where the list begins) of every bigram of a
        term's characters and of every four-character list that covers two frequent ones;
        None if one of them is absent (then so is the term)."""
        c = np.asarray(codes, dtype=np.uint64)
        bi = c[:-1] * np.uint64(self.width) + c[1:]
        at, ok = self._found(self.bi_keys, bi)
        if not ok.all():
            return None
        first = self.bi_starts[at].astype(np.int64)
        lengths = self.bi_starts[at + 1].astype(np.int64) - first
        out = [(n, o, 2, a) for o, (n, a) in
               enumerate(zip(lengths.tolist(), first.tolist(), strict=True))]  # fmt: skip
        f = len(self.fq_keys)
        # a rare bigram leads the lookup anyway (the other lists are searched for its few
        # positions): the four-character lists would not shorten it
        if f and len(bi) >= 3 and int(lengths.min()) >= QUAD_MIN:
            rank, frequent = self._found(self.fq_keys, bi)
            pair = np.flatnonzero(frequent[:-2] & frequent[2:])
            if len(pair):
                rank = rank.astype(np.uint64)
                quad = rank[pair] * np.uint64(f) + rank[pair + 2]
                qat, qok = self._found(self.qd_keys, quad)
                if not qok.all():
                    return None
                first = self.qd_starts[qat].astype(np.int64)
                lengths = self.qd_starts[qat + 1].astype(np.int64) - first
                out += [(n, o, 4, a) for o, n, a in
                        zip(pair.tolist(), lengths.tolist(), first.tolist(), strict=True)]  # fmt: skip
        return out

    def positions(self, term: str, within: np.ndarray | None = None) -> np.ndarray:
        """Ascending start positions of every occurrence of a folded term (2+ characters);
        with ``within`` (ascending block passages), of those in these passages only."""
        grams = self._term_grams(term) if len(term) >= 2 else None
        if not grams:
            return _EMPTY
        spans = None if within is None else (self.starts[within], self.starts[within + 1])
        lists = []
        for n, o, chars, a in _cover(len(term), grams):
            hits = (self.bi_pos if chars == 2 else self.qd_pos)[a : a + n]
            if spans is not None and len(hits):
                hits = _in_spans(hits, *spans)
            if not len(hits):
                return _EMPTY
            lists.append((len(hits), o, hits))
        lists.sort(key=lambda x: x[0])
        _, o0, hits = lists[0]
        if o0:  # where the term would start (a start before the block's first is none)
            start = (hits[hits >= o0] if int(hits[0]) < o0 else hits) - np.uint32(o0)
        else:
            start = hits
        common = kernels().shifted_common
        for _, o, other in lists[1:]:
            if not len(start):
                break
            start = common(start, other, o)
        return start

    def passages(self, term: str, within: np.ndarray | None = None) -> np.ndarray:
        """Ascending passages (block numbers) whose folded text holds ``term``; with
        ``within`` (ascending block passages), those of them only."""
        if not term or (within is not None and not len(within)):
            return _EMPTY
        if len(term) == 1:
            codes = self._codes(term)
            if codes is None:
                return _EMPTY
            found = self._slice(self.uni_keys, self.uni_starts, self.uni_pids, codes[0])
            return found if within is None else _common(found.astype(np.uint32), within)
        at = self.positions(term, within)
        if not len(at):
            return _EMPTY
        return kernels().passages_of(at, self.starts, self.passage_table())

    def passage_table(self) -> np.ndarray:
        """The block's :func:`.kernels.passage_table`, made on its first lookup (some 1.5 ms
        and 250 KB for 4 M characters; :meth:`SegmentGrams.prepare` makes them all)."""
        table = self.table
        if table is None:
            table = self.table = kernels().passage_table(self.starts)
        return table

    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.ARRAYS)


def _check_size(n: int) -> None:
    if n >= 1 << 32:
        raise ValueError(f"a segment of {n} passages: passage numbers must stay below 2**32")


class SegmentGrams:
    """The gram index of one segment's passages, built in blocks of whole passages.

    ``points`` and ``lens`` as for :class:`GramIndex`; passage numbers are
    the segment's own (0-based, in order).
    """

    __slots__ = ("blocks", "n", "cache_bytes", "_found", "_found_bytes", "_lock")

    @classmethod
    def from_blocks(cls, n: int, blocks: list[tuple[int, GramIndex]]) -> SegmentGrams:
        """Grams of ``n`` passages held by ``blocks`` (first passage, block), in order."""
        _check_size(n)
        grams = cls.__new__(cls)
        grams.n = n
        grams.blocks = blocks
        grams._cache_init()
        ends = [lo + block.n for lo, block in blocks]
        if [lo for lo, _ in blocks] != [0, *ends[:-1]][: len(blocks)] or (
            ends[-1] if ends else 0
        ) != n:
            raise ValueError(f"gram blocks do not cover passages 0-{n - 1} in order")
        return grams

    def __init__(self, points: np.ndarray, lens: np.ndarray, block_chars: int | None = None):
        block_chars = block_chars or BLOCK_CHARS
        _check_size(len(lens))
        self._cache_init()
        self.n = len(lens)
        self.blocks: list[tuple[int, GramIndex]] = []
        ends = np.cumsum(lens, dtype=np.int64)
        lo = 0
        while lo < self.n:
            base = int(ends[lo - 1]) if lo else 0
            hi = int(np.searchsorted(ends, base + block_chars, side="right"))
            hi = min(max(hi, lo + 1), self.n)
            block = GramIndex(points[base : int(ends[hi - 1])], lens[lo:hi])
            self.blocks.append((lo, block))
            lo = hi

    def _cache_init(self) -> None:
        self._found: OrderedDict[str, np.ndarray] = OrderedDict()
        self._found_bytes = 0
        self._lock = threading.Lock()
        self.cache_bytes = TERM_CACHE_BYTES

    def share_cache(self, total_passages: int) -> None:
        """Keep this segment's share of :data:`TERM_CACHE_BYTES`, by its part of the
        ``total_passages`` of the index (at least :data:`TERM_CACHE_MIN`): an index
        of many segments keeps no more than one of few."""
        share = TERM_CACHE_BYTES * self.n // max(total_passages, self.n, 1)
        with self._lock:
            self.cache_bytes = max(share, min(TERM_CACHE_MIN, TERM_CACHE_BYTES))
            self._trim()

    def _trim(self) -> None:
        while self._found_bytes > self.cache_bytes:
            self._found_bytes -= self._found.popitem(last=False)[1].nbytes

    def passages(self, term: str, check=None, within: np.ndarray | None = None) -> np.ndarray:
        """Ascending passages of the segment whose folded text holds ``term`` (read-only).

        ``check`` (optional) is called between blocks, e.g. to stop at a
        deadline. The results of recent terms are kept (:meth:`share_cache`).
        ``within`` (ascending segment passages): of these passages only, looked
        up in them alone (what an AND with a rarer term asks), unless the
        term's whole result is kept.
        """
        with self._lock:
            found = self._found.get(term)
            if found is not None:
                self._found.move_to_end(term)
        dtype = np.uint32  # a segment has fewer than 2**32 passages (_check_size)
        if within is not None:
            within = within.astype(dtype, copy=False)
            if found is not None:
                return _common(found, within)
            return self._lookup(term, check, dtype, within)
        if found is not None:
            return found
        found = self._lookup(term, check, dtype, None)
        found.flags.writeable = False
        if found.nbytes <= self.cache_bytes // 4:
            with self._lock:
                if term not in self._found:
                    self._found[term] = found
                    self._found_bytes += found.nbytes
                self._trim()
        return found

    def _lookup(self, term: str, check, dtype, within: np.ndarray | None) -> np.ndarray:
        parts = []
        if within is not None:  # where each block's passages begin among them
            cuts = np.searchsorted(within, [lo for lo, _ in self.blocks] + [self.n])
        for i, (lo, block) in enumerate(self.blocks):
            if within is None:
                hits = block.passages(term)
            elif cuts[i] < cuts[i + 1]:
                hits = block.passages(term, within[cuts[i] : cuts[i + 1]] - dtype(lo))
            else:
                continue
            if len(hits):
                parts.append(hits.astype(dtype) + dtype(lo))
            if check is not None:
                check()
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def prepare(self) -> None:
        """Make what lookups need in every block now rather than on the first ones."""
        for _, block in self.blocks:
            block.passage_table()

    def forget(self) -> None:
        """Drop the kept results of recent terms (the next lookups read the blocks)."""
        with self._lock:
            self._found.clear()
            self._found_bytes = 0

    def nbytes(self) -> int:
        return sum(block.nbytes() for _, block in self.blocks)
