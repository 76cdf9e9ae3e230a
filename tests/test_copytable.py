"""The copy figures as columns give what the dict per report gave, key for key and in
order, read back from the kept layout; anything else in that layout is refused."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from indexer.analytics import Analytics, copystore
from indexer.analytics.copies import all_copies
from indexer.analytics.copytable import COLUMNS, REF_FIELDS, CopyFigures
from indexer.analytics.matrix import report_ref
from indexer.ingest import index_paths
from indexer.search import Engine

from helpers import short_seeds


def _random_figures(rng: random.Random, n: int) -> dict[str, dict]:
    """Figures shaped as :func:`~indexer.analytics.copies.copy_of` gives them: a few
    source reports named by many, sources with missing places and years, no source."""
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(n)]
    sources = [
        report_ref(
            {
                "id": rng.choice(ids) if ids else "0",
                "title": rng.choice(["甲镇2023年法治政府建设工作报告", None, ""]),
                "township": rng.choice(["甲镇", "乙乡", None]),
                "county": rng.choice(["某县", None]),
                "province": "某省",
                "year": rng.choice([2021, 2022, None]),
                "date": rng.choice(["2022-01-09", None]),
            }
        )
        for _ in range(max(1, n // 4))
    ]
    out = {}
    for rid in ids:
        sentences = rng.randrange(0, 200)
        shared = rng.randrange(0, sentences + 1)
        source = None
        if sentences and rng.random() < 0.4:
            k = rng.randrange(1, sentences + 1)
            source = {**rng.choice(sources), "sentences": k, "earlier": rng.random() < 0.5}
        share = round(source["sentences"] / sentences, 4) if source else 0.0
        out[rid] = {
            "sentences": sentences,
            "shared": shared,
            "share": share,
            "chars_share": round(rng.random(), 4) if source else 0.0,
            "source": source,
            "copied": bool(source and source["earlier"] and share >= 0.5),
        }
    return out


def _same(columns, figures: dict) -> None:
    """``columns`` gives ``figures`` exactly: values, key order, report order."""
    assert len(columns) == len(figures) and list(columns) == list(figures)
    assert columns == figures
    for rid, fig in figures.items():
        assert rid in columns
        assert json.dumps(columns[rid], ensure_ascii=False) == json.dumps(fig, ensure_ascii=False)


@pytest.mark.parametrize("seed", range(6))
def test_columns_give_the_figures_they_were_made_of(seed):
    rng = random.Random(seed)
    figures = _random_figures(rng, rng.choice([0, 1, 2, 7, 300]))
    columns = CopyFigures.of(figures)
    _same(columns, figures)
    back = CopyFigures.from_json(json.loads(json.dumps(columns.to_json(), ensure_ascii=False)))
    assert back is not None
    _same(back, figures)
    assert CopyFigures.of(columns) is columns


def test_each_source_report_is_kept_once():
    rng = random.Random(7)
    figures = _random_figures(rng, 400)
    named = {tuple(f["source"][k] for k in REF_FIELDS) for f in figures.values() if f["source"]}
    body = CopyFigures.of(figures).to_json()
    assert len(body["refs"]) == len(named) < sum(1 for f in figures.values() if f["source"])


def test_a_column_for_many_reports_at_once():
    rng = random.Random(5)
    figures = _random_figures(rng, 300)
    columns = CopyFigures.of(figures)
    asked = [*rng.sample(list(figures), 120), "", "ffff", *rng.sample(list(figures), 5), "z" * 40]
    for name in ("sentences", "shared", "share", "chars_share", "copied"):
        got = columns.column(name, asked).tolist()
        assert got == [figures[r][name] if r in figures else 0 for r in asked]
    source = [figures[r]["source"] if r in figures else None for r in asked]
    got = columns.column("source_sentences", asked).tolist()
    assert got == [s["sentences"] if s else 0 for s in source]
    assert columns.column("earlier", asked).tolist() == [bool(s and s["earlier"]) for s in source]
    assert columns.column("share", []).tolist() == []
    assert CopyFigures.of({}).column("copied", asked).tolist() == [False] * len(asked)
    for name in ("source", "id", "title"):
        with pytest.raises(ValueError, match=name):
            columns.column(name, asked)


def test_unknown_reports_are_not_there():
    columns = CopyFigures.of(_random_figures(random.Random(3), 20))
    rid = next(iter(columns))
    for missing in ("", "0" * 16, rid[:-1], rid + "0", 5, None, rid.encode()):
        assert missing not in columns
        assert columns.get(missing) is None
        with pytest.raises(KeyError):
            columns[missing]
    empty = CopyFigures.of({})
    assert len(empty) == 0 and list(empty) == [] and empty.get(rid) is None and empty == {}


def _damaged(body: dict) -> list[object]:
    n = len(body["ids"])
    out: list[object] = [None, [], "figures", {**body, "ids": body["ids"][:-1]}]
    out.append({**body, "ids": [body["ids"][0]] * n})  # one report twice
    out.append({**body, "ids": [*body["ids"][:-1], 7]})
    out.append({**body, "refs": [r[:-1] for r in body["refs"]]})
    out.append({**body, "refs": "?"})
    for name in COLUMNS:
        out.append({k: v for k, v in body.items() if k != name})
        out.append({**body, name: body[name][:-1]})
        out.append({**body, name: ["x"] * n})
        out.append({**body, name: [[1]] * n})
    out.append({**body, "source": [len(body["refs"])] * n})  # names a source not kept
    out.append({**body, "source": [-2] * n})
    return out


def test_a_damaged_layout_is_refused():
    body = CopyFigures.of(_random_figures(random.Random(11), 50)).to_json()
    assert CopyFigures.from_json(body) is not None
    for bad in _damaged(body):
        assert CopyFigures.from_json(bad) is None, str(bad)[:200]


def test_an_index_keeps_its_figures_as_columns_and_reads_them_back(tmp_path):
    corpus, ix = short_seeds(tmp_path / "corpus"), tmp_path / "ix"
    first = sorted(corpus.iterdir())[0]  # a later copy of one report, one line added
    (corpus / "copy.txt").write_text(first.read_text("utf-8") + "\n本镇新增一项工作。\n", "utf-8")
    assert not index_paths([corpus], ix).failed
    with Engine(ix) as engine:
        an = Analytics(engine, copies_child_from=None)
        figures = an.copies()
        assert isinstance(figures, CopyFigures)
        assert sum(1 for f in figures.values() if f["source"]) >= 2
        _same(figures, all_copies(an.sentence_index()))
        kept = copystore.load(ix, engine.generation, copystore.rules())
        assert set(kept) == {"ids", "refs", *COLUMNS}
        # columns that do not fit are computed again, and kept anew
        with gzip.open(ix / copystore.FILE, "rt", encoding="utf-8") as f:
            whole = json.load(f)
        whole["figures"]["sentences"] = whole["figures"]["sentences"][:-1]
        with gzip.open(ix / copystore.FILE, "wt", encoding="utf-8") as f:
            json.dump(whole, f)
        assert copystore.load_figures(ix, engine.generation) is None
    with Engine(ix) as engine:
        again = Analytics(engine, copies_child_from=None)
        assert again.copies() == figures and again.build_info("sentences")["builds"] == 1
        assert copystore.load_figures(ix, engine.generation) == figures
