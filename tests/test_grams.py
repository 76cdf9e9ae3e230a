"""The character-gram index of exact search, against a plain substring test."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from indexer.analysis import fold, fold_points
from indexer.grams import GramIndex, SegmentGrams

# few distinct characters, so that terms recur, overlap and repeat
SMALL = "法治依政执行乡镇（,"


def build(texts: list[str], block_chars: int | None = None) -> SegmentGrams:
    points, lens = fold_points(texts)
    return SegmentGrams(points, lens, block_chars)


def naive(texts: list[str], term: str) -> list[int]:
    return [i for i, t in enumerate(texts) if term in fold(t)]


@given(
    texts=st.lists(st.text(alphabet=SMALL, max_size=30), min_size=1, max_size=12),
    terms=st.lists(st.text(alphabet=SMALL + "区", min_size=1, max_size=8), max_size=10),
    block_chars=st.sampled_from([None, 1, 7, 40]),
)
def test_passages_are_exactly_those_holding_the_term(texts, terms, block_chars):
    index = build(texts, block_chars)
    # terms cut from the texts (found) and drawn freely (mostly absent)
    cut = [t[a : a + k] for t in texts for a in range(0, len(t), 5) for k in (1, 2, 3, 6) if t]
    for term in map(fold, terms + cut):
        if term:  # the index is queried with folded terms, as search does
            assert index.passages(term).tolist() == naive(texts, term), term


def test_every_occurrence_is_a_position():
    texts = ["法法法法", "", "依法法"]
    points, lens = fold_points(texts)
    block = GramIndex(points, lens)
    # passages start at 0, 5 and 6: one separator position after each
    assert block.positions("法法").tolist() == [0, 1, 2, 7]
    assert block.positions("法法法").tolist() == [0, 1]
    assert block.positions("依法法").tolist() == [6]
    assert block.positions("法依").tolist() == []  # never across passages
    assert block.passages("法").tolist() == [0, 2]


def test_blocks_hold_whole_passages_and_number_them_for_the_segment():
    texts = ["依法行政"] * 5 + ["乡镇执法"] * 5
    index = build(texts, block_chars=9)
    assert len(index.blocks) == 5
    assert [lo for lo, _ in index.blocks] == [0, 2, 4, 6, 8]
    assert index.passages("执法").tolist() == [5, 6, 7, 8, 9]
    assert index.passages("行政").tolist() == [0, 1, 2, 3, 4]


def test_empty_segment_and_empty_passages():
    assert build([]).passages("法").tolist() == []
    index = build(["", "法", ""])
    assert index.passages("法").tolist() == [1]
    assert index.passages("").tolist() == []


def test_characters_beyond_the_basic_plane():
    texts = ["𠀀依法𠀁", "依法"]
    index = build(texts)
    assert index.passages("𠀀依").tolist() == [0]
    assert index.passages("法𠀁").tolist() == [0]
    assert index.passages("依法").tolist() == [0, 1]


def test_the_deadline_hook_runs_between_blocks():
    calls = []
    build(["依法"] * 4, block_chars=2).passages("依法", check=lambda: calls.append(1))
    assert len(calls) == 4


def test_postings_use_32_bit_numbers():
    block = build(["依法行政"] * 3).blocks[0][1]
    assert block.bi_pos.dtype == np.uint32 and block.uni_pids.dtype == np.uint32
