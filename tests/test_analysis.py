"""Tokenizers and folding, tested alone: offsets, positions, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.index.schema import WordTokenizer
from indexer.text import _FOLD, fold, fold_chars, fold_map, fold_points, segment, words

TEXT = "2023年以来，落实好乡镇“一支队伍管执法”，全面落实“谁执法谁普法”责任制（试行）。"


@pytest.mark.parametrize("text", [TEXT, "ＡＢＣ 2023 年度落實“一支隊伍管執法”，規範執法行爲。"])
def test_word_tokens_have_true_offsets_and_sequential_positions(text):
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in WordTokenizer()(text, positions=True, chars=True)]  # fmt: skip
    assert [pos for _, pos, _, _ in tokens] == list(range(len(tokens)))
    for word, _, start, end in tokens:
        assert fold_chars(text[start:end]).lower() == word


def test_user_dictionary_keeps_named_practices_whole():
    words = [w for w, _, _ in segment(TEXT)]
    assert "一支队伍管执法" in words
    assert "谁执法谁普法" in words
    assert [w for w, _, _ in segment("培养法律明白人")][-1] == "法律明白人"


def test_words_are_the_words_of_segment():
    text = TEXT + " 美湖镇 ABC 2023 年度\n　谁执法谁普法。①★"
    assert words(text) == [w for w, _, _ in segment(text)]
    assert words(text + text) == [w for w, _, _ in segment(text + text)]  # remembered runs


WORD_ALPHABET = "依法行政执队伍管乡镇美湖執隊，。、（）“”0123 aBＡ-_.%\n\u3000①★⽅"


@given(st.text(alphabet=WORD_ALPHABET, max_size=60))
def test_words_agree_with_segment_on_any_text(text):
    assert words(text) == [w for w, _, _ in segment(text)]


def test_punctuation_is_not_a_word():
    assert all(w not in "，。“”（）" for w, _, _ in segment(TEXT))


FOLD_ALPHABET = "依法行政（）() ，,\n\t\r\u3000\u200b\ufeffＡaBz１1“”ｶﾞ行爲為关於⽅⻅豈𠀋"


@given(st.text(alphabet=FOLD_ALPHABET, max_size=40))
def test_fold_is_the_fold_table(text):
    assert fold(text) == text.translate(_FOLD)


@given(st.lists(st.text(alphabet=FOLD_ALPHABET, max_size=12), max_size=8))
def test_fold_points_folds_many_texts_at_once(texts):
    points, lens = fold_points(texts)
    joined = points.tobytes().decode("utf-32-le")
    assert lens.sum() == len(joined)
    ends = lens.cumsum()
    assert [joined[e - n : e] for e, n in zip(ends, lens, strict=True)] == [fold(t) for t in texts]


def test_fold_removes_space_and_folds_width():
    assert fold("（2021-2025 年）　，ＡＢＣ１２\u200b") == "(2021-2025年),abc12"
    assert fold("“一支队伍管执法”") == "“一支队伍管执法”"
    assert fold("落實“一支隊伍管執法”") == "落实“一支队伍管执法”"


@given(st.text(alphabet=FOLD_ALPHABET, max_size=40))
def test_fold_chars_is_fold_that_removes_nothing(text):
    assert len(fold_chars(text)) == len(text)
    assert fold(fold_chars(text)) == fold(text)


@given(st.text(alphabet=FOLD_ALPHABET, max_size=40))
def test_fold_map_points_back_into_the_original(text):
    folded, idx = fold_map(text)
    assert folded == fold(text)
    assert len(idx) == len(folded) + 1
    for i, ch in enumerate(folded):
        assert fold(text[idx[i]]) == ch
    assert idx == sorted(idx)


def test_jiebas_dictionary_is_loaded_from_its_cache_as_jieba_loads_it(tmp_path, monkeypatch):
    import jieba

    from indexer.text import _load_jieba_cache

    slow = jieba.Tokenizer()
    slow.initialize()  # writes the cache file if there is none yet
    fast = jieba.Tokenizer()
    _load_jieba_cache(fast)
    assert fast.initialized and fast.total == slow.total and fast.FREQ == slow.FREQ
    # no cache file (or an unreadable one): left to jieba, which builds it
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    for content in (None, b"not marshal data"):
        if content is not None:
            (tmp_path / "jieba.cache").write_bytes(content)
        tk = jieba.Tokenizer()
        _load_jieba_cache(tk)
        assert not tk.initialized
