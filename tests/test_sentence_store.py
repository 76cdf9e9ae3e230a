"""The sentence index kept beside the index (``indexer.analytics.sentencestore``).

A process that builds the sentence index of a generation keeps its tables
in the index folder and maps them from there; the next process on the same
generation maps them instead of building. Each test compares what the
mapped tables answer with an index built from the texts.
"""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest

from indexer import index as idx
from indexer.analytics import Analytics, SentenceIndex, copystore, sentencestore
from indexer.analytics.copies import all_copies
from indexer.search import Engine

from helpers import build_index, make_report, sentence_pool


def _reports(rng: random.Random, n: int, start: int = 0):
    """``n`` reports of sentences drawn from a few, some altered (near-identical wording)."""
    out = []
    for i, r in enumerate(sentence_pool(rng, start + n)[start:], start):
        m = r.meta
        out.append(
            make_report(f"r{i:03d}.txt", list(r.texts), township=m["township"], county="东县",
                        year=m["year"], date=m["date"])
        )  # fmt: skip
    return out


@pytest.fixture
def pooled(tmp_path):
    return build_index(tmp_path / "ix", _reports(random.Random(5), 30))


def _answers(index: SentenceIndex) -> dict:
    return {rid: index.precedents(rid, 3) for rid in sorted(index.position)}


def _from_texts(engine: Engine) -> SentenceIndex:
    return SentenceIndex(Analytics(engine).corpus())


def _mapped(index: SentenceIndex) -> bool:
    """Whether the index's tables are a file's pages (read-only, not its own memory)."""
    arrays = (index.entries.rep, index.entries.loc, index.shingles.ranks, index.shingles.post_kid)
    return all(not a.flags.writeable and not a.flags.owndata for a in arrays)


def test_a_built_index_is_kept_and_mapped_and_the_next_process_maps_it(pooled):
    with Engine(pooled) as engine:
        first = Analytics(engine).sentence_index()
        expected = _answers(_from_texts(engine))
    assert (pooled / sentencestore.FILE).is_file()
    assert first.from_stored and not first.kept and _mapped(first)
    assert _answers(first) == expected
    assert not [p for p in pooled.iterdir() if p.name.endswith(".tmp")]
    with Engine(pooled) as engine:  # a restart on the same generation: mapped, not built
        again = Analytics(engine)
        index = again.sentence_index()
        assert index.kept and not index.from_stored and _mapped(index)
        assert index.keys == first.keys
        assert _answers(index) == expected
        assert all_copies(index) == all_copies(_from_texts(engine))
        rid = sorted(index.position)[0]
        assert again.precedents(rid, 3) == expected[rid]


def test_another_generation_builds_its_own_and_updates_from_the_mapped_one(pooled):
    with Engine(pooled) as engine:
        analytics = Analytics(engine)
        before = analytics.sentence_index()
        assert _mapped(before)
        with idx.write_session(pooled) as w:  # two reports more: a new generation
            for r in _reports(random.Random(6), 2, start=30):
                w.add_report(r, r.sha256[:16], str(pooled / r.source))
        after = analytics.sentence_index()
        while analytics.stale("sentences") or after is before:
            assert analytics.wait_idle(60)
            after = analytics.sentence_index()
        assert after.updated and not after.kept and _mapped(after)
        assert len(after.corpus) == 32
        assert _answers(after) == _answers(_from_texts(engine))
    with Engine(pooled) as engine:  # the file is the new generation's now
        assert Analytics(engine).sentence_index().kept


def _damage(path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "flipped":
        data[-100] ^= 0x40
    elif how == "cut":
        del data[len(data) // 2 :]
    elif how == "header":
        data[20:40] = b"x" * 20
    elif how == "empty":
        data = bytearray()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flipped", "cut", "header", "empty"])
def test_a_damaged_file_is_said_and_the_index_built_anew(pooled, how, caplog):
    with Engine(pooled) as engine:
        expected = _answers(Analytics(engine).sentence_index())
    _damage(pooled / sentencestore.FILE, how)
    caplog.set_level(logging.WARNING)
    with Engine(pooled) as engine:
        index = Analytics(engine).sentence_index()
        assert not index.kept and index.from_stored
        assert _answers(index) == expected
    assert "sentences.arrays" in caplog.text and "building it" in caplog.text
    with Engine(pooled) as engine:  # and kept again, whole
        assert Analytics(engine).sentence_index().kept


def test_tables_of_other_rules_or_another_order_of_reports_are_not_taken(pooled, monkeypatch):
    with Engine(pooled) as engine:
        kept_first = Analytics(engine).sentence_index()
        corpus = Analytics(engine).corpus()
    monkeypatch.setattr(sentencestore, "FORMAT", sentencestore.FORMAT + 1)
    with Engine(pooled) as engine:
        assert not Analytics(engine).sentence_index().kept  # other rules: built
    monkeypatch.undo()
    arrays = kept_first.arrays()
    shuffled = corpus[1:] + corpus[:1]
    fewer = SentenceIndex(corpus[1:], kept=arrays)
    assert not fewer.kept and _answers(fewer) == _answers(SentenceIndex(corpus[1:]))
    same = SentenceIndex(shuffled, kept=arrays)  # any order given: numbered by date
    assert same.kept and _answers(same) == _answers(kept_first)
    wrong = dict(arrays, entry_first=arrays["entry_first"][:-1])
    assert not SentenceIndex(corpus, kept=wrong).kept


def test_a_folder_that_takes_no_file_still_answers(pooled, monkeypatch):
    def refuse(*_):
        raise PermissionError("read-only")

    monkeypatch.setattr(copystore.os, "replace", refuse)
    with Engine(pooled) as engine:
        index = Analytics(engine).sentence_index()
        assert not _mapped(index) and index.from_stored
        assert _answers(index) == _answers(_from_texts(engine))
    assert not (pooled / sentencestore.FILE).exists()
    assert not [p for p in pooled.iterdir() if p.name.endswith(".tmp")]


def test_the_file_holds_each_array_as_it_was_given(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {
        "a": rng.integers(0, 2**31, 1001).astype(np.int64),
        "b": rng.integers(0, 255, 7).astype(np.uint8),
        "c": np.zeros(0, np.uint32),
        "d": rng.integers(-5, 5, 13).astype(np.int32),
    }
    rules = sentencestore.rules(0.8, 6)
    assert sentencestore.save(tmp_path, ("g", 1), rules, arrays)
    back = sentencestore.load(tmp_path, ("g", 1), rules)
    assert list(back) == list(arrays)
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and np.array_equal(back[name], a)
        assert back[name].ctypes.data % 8 == 0  # each array aligned
    assert sentencestore.load(tmp_path, ("g", 2), rules) is None
    assert sentencestore.load(tmp_path, ("g", 1), sentencestore.rules(0.9, 6)) is None
    assert sentencestore.load(tmp_path / "none", ("g", 1), rules) is None
