"""The sentence index's flat arrays (``indexer.analytics.sentence_arrays``) against plain Python.

The index as a whole is compared with one built report by report in
``test_analytics.py``; here each table is compared with the sets and sorted
lists it replaces, on random input.
"""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analytics import shingles, similarity
from indexer.analytics.sentence_arrays import (
    Entries,
    Shingles,
    shingle_codes,
    sorted_entries,
)
from indexer.analytics.sentences import NEAR_SIMILARITY, prefix_length

# a few Han characters, a letter, an astral character and a lone surrogate
_CHARS = "法治政府建设依法行政aZ\U0002a6a5\ud800"
keys_strategy = st.lists(st.text(alphabet=_CHARS, min_size=0, max_size=12), max_size=30)


def _decoded(code: int) -> str:
    if code < 0:
        v, chars = -1 - code, []
        while v >= 1 << 21:
            chars.append(chr(v & (1 << 21) - 1))
            v >>= 21
        assert v == len(chars)
        return "".join(reversed(chars))
    return "".join(chr((code >> s) & (1 << 21) - 1) for s in (42, 21, 0))


@settings(max_examples=200, deadline=None)
@given(keys_strategy, st.integers(0, 5))
def test_shingle_codes_are_the_shingles_of_each_key(keys, base):
    kid, code = shingle_codes(keys, base)
    got: dict[int, set[str]] = {}
    for k, c in zip(kid.tolist(), code.tolist(), strict=True):
        got.setdefault(k - base, set()).add(_decoded(c))
    assert got == {i: shingles(key) for i, key in enumerate(keys)}
    pairs = list(zip(kid.tolist(), code.tolist(), strict=True))
    assert pairs == sorted(set(pairs))  # by key, then code, distinct


def _plain(kid, rep, loc) -> list[tuple[int, int, int]]:
    return sorted(zip(kid, rep, loc, strict=True))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from([10, 1000, 2**32]))
def test_entries_are_sorted_whether_or_not_their_bits_fit_one_value(seed, top):
    rng = random.Random(seed)
    n = rng.randint(0, 50)
    kid = [rng.randrange(8) for _ in range(n)]
    rep = [rng.randrange(top) for _ in range(n)]
    loc = [rng.randrange(top) for _ in range(n)]
    got = sorted_entries(kid, rep, loc)
    assert list(zip(*(x.tolist() for x in got), strict=True)) == _plain(kid, rep, loc)


def _table(entries: Entries) -> list[list[tuple[int, int]]]:
    return [list(zip(r, x, strict=True)) for r, x in zip(entries.reps, entries.locs, strict=True)]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**31))
def test_entries_renumbered_and_added_to_are_the_entries_made_anew(seed):
    rng = random.Random(seed)
    n_keys, n_reports = rng.randint(1, 8), rng.randint(1, 12)
    triples = {
        (rng.randrange(n_keys), rng.randrange(n_reports), rng.randrange(40))
        for _ in range(rng.randint(0, 60))
    }
    old = (
        Entries.of(n_keys, *zip(*triples, strict=True))
        if triples
        else Entries.of(n_keys, [], [], [])
    )
    assert all(np.all(np.diff(np.frombuffer(r, np.uint32).astype(int)) >= 0) for r in old.reps)
    # some reports removed, the others renumbered in the same order, some inserted
    kept, nxt = [], 0
    for _ in range(n_reports):
        nxt += rng.randint(0, 2)
        if rng.random() < 0.25:
            kept.append(-1)
        else:
            kept.append(nxt)
            nxt += 1
    renumbered = old.renumbered(np.array(kept))
    expect = {(k, kept[r], x) for k, r, x in triples if kept[r] >= 0}
    n_all = n_keys + rng.randint(0, 3)
    free = sorted(set(range(nxt + 2)) - set(kept))
    added = {
        (rng.randrange(n_all), rng.choice(free), rng.randrange(40))
        for _ in range(rng.randint(0, 15) if free else 0)
    }
    grown = renumbered.with_added(n_all, *(zip(*added, strict=True) if added else ([], [], [])))
    made = Entries.of(
        n_all, *(zip(*(expect | added), strict=True) if expect | added else ([], [], []))
    )
    assert _table(grown) == _table(made)
    assert _table(old) == _table(
        Entries.of(n_keys, *zip(*triples, strict=True))
        if triples
        else Entries.of(n_keys, [], [], [])
    )
    assert grown.counts().tolist() == [len(r) for r in made.reps]


def _brute_near(keys: list[str], key: str) -> set[int]:
    a = shingles(key)
    return {c for c, other in enumerate(keys) if similarity(a, shingles(other)) >= NEAR_SIMILARITY}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31))
def test_the_prefix_index_extended_finds_what_one_built_anew_finds(seed):
    rng = random.Random(seed)
    alphabet = "法治政府建设依法行政"
    base = ["".join(rng.choice(alphabet) for _ in range(rng.randint(2, 24))) for _ in range(5)]

    def variant() -> str:
        s = list(rng.choice(base))
        for _ in range(rng.randint(0, 3)):
            s[rng.randrange(len(s))] = rng.choice(alphabet)
        return "".join(s)

    keys = list(dict.fromkeys(variant() for _ in range(25)))
    cut = rng.randint(0, len(keys))
    built = Shingles.build(keys[:cut], NEAR_SIMILARITY).extended(keys, cut)
    anew = Shingles.build(keys, NEAR_SIMILARITY)
    for index in (built, anew):
        assert index.sizes.tolist() == [len(shingles(k)) for k in keys]
        for probe in [*keys, variant(), variant() + "普"]:
            n, ranks = index.of_text(probe)
            assert n == len(shingles(probe))
            found = {c for c, _ in index.verified(n, ranks, index.candidates(n, ranks))}
            assert found == _brute_near(keys, probe), probe
        for kid in range(len(keys)):
            ranks = index.of_key(kid)
            assert len(ranks) == len(shingles(keys[kid]))
            assert len(ranks) - prefix_length(len(ranks)) >= 0
