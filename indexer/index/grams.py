"""Character-gram postings held in numpy arrays: the exact-search index.

The folded passages of one segment are laid end to end, each followed by one
separator position, and two posting tables are built over them:

* for every pair of adjacent characters (bigram) inside a passage, the
  ascending positions where it starts;
* for every character (unigram), the ascending passages that contain it.

A term of two or more characters is found by taking bigrams that cover it
(at offsets 0, 2, 4, … and the last pair) and keeping the start positions
where each of them sits at its offset: that is exactly the set of places
where the term occurs, so no passage text has to be checked afterwards. A
one-character term is its unigram postings. Both are exact, independent of
word segmentation, and cost a few array operations per gram; lining the
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
    )  # fmt: skip
    __slots__ = ("n", "width", *ARRAYS)

    def __init__(self, points: np.ndarray, lens: np.ndarray) -> None:
        self.n = len(lens)
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
        # unigrams: distinct (character, passage), passages ascending per character
        pid_bits = _bits(self.n)
        pairs = (coded << np.uint64(pid_bits)) | pid
        del coded, pid
        pairs.sort()
        self.uni_keys, self.uni_starts, self.uni_pids = _csr(_dedup(pairs), pid_bits, width, self.n)

    @classmethod
    def from_arrays(cls, n: int, arrays: dict[str, np.ndarray]) -> GramIndex:
        """A block from the arrays :meth:`arrays` gave (e.g. memory-mapped from a file)."""
        missing = set(cls.ARRAYS) - set(arrays)
        if missing:
            raise ValueError(f"gram block lacks {sorted(missing)}")
        block = cls.__new__(cls)
        block.n = n
        for name in cls.ARRAYS:
            setattr(block, name, arrays[name])
        block.width = len(block.alphabet)
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

    def positions(self, term: str, within: np.ndarray | None = None) -> np.ndarray:
        """Ascending start positions of every occurrence of a folded term (2+ characters);
        with ``within`` (ascending block passages), of those in these passages only."""
        codes = self._codes(term) if len(term) >= 2 else None
        if codes is None:
            return _EMPTY
        spans = None if within is None else (self.starts[within], self.starts[within + 1])
        k = len(codes)
        offsets = list(range(0, k - 1, 2))
        if offsets[-1] != k - 2:
            offsets.append(k - 2)
        lists = []
        for o in offsets:
            hits = self._slice(self.bi_keys, self.bi_starts, self.bi_pos,
                               codes[o] * self.width + codes[o + 1])  # fmt: skip
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
        return kernels().passages_of(at, self.starts)

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

    def forget(self) -> None:
        """Drop the kept results of recent terms (the next lookups read the blocks)."""
        with self._lock:
            self._found.clear()
            self._found_bytes = 0

    def nbytes(self) -> int:
        return sum(block.nbytes() for _, block in self.blocks)
