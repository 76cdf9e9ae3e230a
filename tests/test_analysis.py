"""Tokenizers and folding, tested alone: offsets, positions, invariants."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.analysis import (
    GramTokenizer,
    WordTokenizer,
    fold,
    fold_map,
    grams,
    query_grams,
    segment,
)

TEXT = "2023年以来，落实好乡镇“一支队伍管执法”，全面落实“谁执法谁普法”责任制（试行）。"


def test_word_tokens_have_true_offsets_and_sequential_positions():
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in WordTokenizer()(TEXT, positions=True, chars=True)]  # fmt: skip
    assert [pos for _, pos, _, _ in tokens] == list(range(len(tokens)))
    for word, _, start, end in tokens:
        assert TEXT[start:end].lower() == word


def test_user_dictionary_keeps_named_practices_whole():
    words = [w for w, _, _ in segment(TEXT)]
    assert "一支队伍管执法" in words
    assert "谁执法谁普法" in words
    assert [w for w, _, _ in segment("培养法律明白人")][-1] == "法律明白人"


def test_punctuation_is_not_a_word():
    assert all(w not in "，。“”（）" for w, _, _ in segment(TEXT))


def test_gram_tokens_are_unigrams_and_bigrams_of_folded_text():
    out = {t.text for t in GramTokenizer()("依法 行政（A）")}
    assert out == grams("依法行政(a)")
    assert {"依", "依法", "法行", "(a", "a)"} <= out


def test_query_grams():
    assert query_grams("法") == ["法"]
    assert query_grams("依法行政") == ["依法", "法行", "行政"]
    assert query_grams("") == []


def test_fold_removes_space_and_folds_width():
    assert fold("（2021-2025 年）　，ＡＢＣ１２\u200b") == "(2021-2025年),abc12"
    assert fold("“一支队伍管执法”") == "“一支队伍管执法”"


@given(st.text(alphabet="依法行政（）() ，,\n\u3000ＡaB１1“”", max_size=40))
def test_fold_map_points_back_into_the_original(text):
    folded, idx = fold_map(text)
    assert folded == fold(text)
    assert len(idx) == len(folded) + 1
    for i, ch in enumerate(folded):
        assert fold(text[idx[i]]) == ch
    assert idx == sorted(idx)
