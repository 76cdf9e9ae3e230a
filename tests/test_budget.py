"""Bounded cost for every input: linear word segmentation, a budget for reading each file.

jieba's HMM (``finalseg.viterbi``) copies its best path at every step: a run
of n characters the dictionary leaves single cost n² (100,000 × 法 took 59 s,
999,000 × 镇 — 3 MB, under every cap — an estimated hour and a half). The
complexity guards compare the processor time at n and 5n characters: linear
growth gives about 5×, quadratic 25×; 10× leaves room for a noisy machine.
"""

from __future__ import annotations

import time

import pytest

from indexer import text

from helpers import SEEDS


def cpu_seconds(fn, arg, repeat: int = 3) -> float:
    """The least processor time of ``repeat`` calls of ``fn(arg)``."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn(arg)
        best = min(best, time.process_time() - t)
    return best


@pytest.mark.parametrize("char", ["法", "镇"])
@pytest.mark.parametrize("fn", [text.segment, text.words], ids=["segment", "words"])
def test_word_segmentation_is_linear_in_the_length_of_a_run(fn, char):
    n = 10_000
    fn("依法行政")  # the dictionary, loaded before measuring
    small, big = cpu_seconds(fn, char * n), cpu_seconds(fn, char * (5 * n))
    assert big < 10 * max(small, 0.005), (small, big)
    # and the run is still cut into words: no word longer than the HMM's window
    assert max(len(w) for w, *_ in (text.segment(char * 1000))) <= text.HMM_WINDOW


def test_real_text_is_segmented_exactly_as_jieba_does():
    """The bound changes nothing but runs no real text has: every seed report's words are
    jieba's own (so the index needs no rebuild)."""
    tk = text._jieba()
    for seed in SEEDS:
        body = seed.read_text(encoding="utf-8")
        folded = text.fold_chars(body)
        expected = [
            (w.lower(), a, b)
            for w, a, b in tk.tokenize(folded)
            if not (w.isspace() or text._PUNCT_OR_SPACE.match(w))
        ]
        assert text.segment(body) == expected
        assert text.words(body) == [w for w, _, _ in expected]
    # a long run mixing dictionary words, single characters, letters and digits
    mixed = ("依法行政abc123法" * 40) + ("x" * 300) + ("镇" * 99) + "法治政府"
    expected = [(w.lower(), a, b) for w, a, b in tk.tokenize(mixed)]
    assert text.segment(mixed) == expected
