"""Report metadata kept as columns (``indexer.index.metatable``) and in segment files."""

from __future__ import annotations

import json
import random
import struct
import zlib

import numpy as np
import pytest

from indexer import index as idx
from indexer import names
from indexer.errors import IndexStoreError
from indexer.index import segfile
from indexer.index.metatable import CODES, JSON, TEXT, MetaTable, RowMeta
from indexer.search import Engine

from helpers import build_index, make_report


def _random_metas(n: int, seed: int) -> dict[str, tuple[int, dict]]:
    """``n`` reports' metadata with every kind of value a field may take."""
    rnd = random.Random(seed)
    rows = {}
    for i in range(n):
        meta = {
            "source": f"/data/报告{i:04d}.txt" if i % 7 else f"/data/bad\udce9name{i}.pdf",
            "title": f"{rnd.choice('甲乙丙丁')}镇关于{2018 + i % 6}年度法治政府建设情况的报告{i}",
            "township": rnd.choice(["美湖镇", "湖上乡", None, "城关街道"]),
            "year": rnd.choice([2020, 2021, None]),
            "ocr": i % 3 == 0,
            "flag": rnd.choice([1, True, 1.0, 0, False]),  # told apart by type
            "ocr_confidence": None if i % 2 else rnd.random(),  # many distinct numbers
            "pages": [i, {"n": i % 3}] if i % 5 else None,
            "path": f"/data/bad\udce9name{i}.pdf",  # the exact name: kept as it is
            "id": f"{i:016x}",
        }
        if i % 4 == 0:
            del meta["township"]  # a field some reports lack
        if i % 9 == 0:
            meta["extra"] = "只有部分报告有"
        rows[meta["id"]] = (2 * i, meta)
    return rows


def _through_file(table: MetaTable) -> MetaTable:
    """``table`` as a segment file's header and arrays would give it back."""
    head, arrays = table.arrays()
    head = json.loads(names.dumps(head))
    return MetaTable.from_arrays(head, {k: np.array(a) for k, a in arrays})


@pytest.mark.parametrize("n", [0, 1, 20, 300])
def test_columns_give_back_every_report_s_metadata_exactly(n):
    rows = _random_metas(n, seed=n)
    for table in (MetaTable.from_rows(rows), _through_file(MetaTable.from_rows(rows))):
        assert table.rids == list(rows) and table.docnums.tolist() == [d for d, _ in rows.values()]
        for row, (_docnum, want) in enumerate(rows.values()):
            want = dict(want, source=names.printable(want["source"]))
            got = RowMeta(table, row)
            assert table.meta(row) == want and list(table.meta(row)) == list(want)
            assert dict(got) == want and list(got) == list(want) and len(got) == len(want)
            for key, value in want.items():
                assert got[key] == value and type(got[key]) is type(value)
            assert ("township" in got) == ("township" in want)
            assert got.get("township", "-") == want.get("township", "-")
            with pytest.raises(KeyError):
                got["no such field"]
    if n == 300:  # every kind of column is used
        kinds = {f: c.kind for f, c in MetaTable.from_rows(rows).columns.items()}
        assert kinds["title"] == TEXT and kinds["path"] == TEXT and kinds["id"] == TEXT
        assert kinds["ocr_confidence"] == JSON and kinds["pages"] == JSON
        assert kinds["township"] == CODES and kinds["flag"] == CODES
        assert {type(RowMeta(MetaTable.from_rows(rows), r)["flag"]) for r in range(n)} == {
            int,
            bool,
            float,
        }


def _rewrite(path, change_header, keep=lambda name: True) -> None:
    """Rewrite segment file ``path`` with ``change_header(header)`` applied and only the
    arrays whose names ``keep`` says, laid out and checksummed as the format says."""
    raw = path.read_bytes()
    n = struct.unpack("<8sQQ", raw[:24])[2]
    header = json.loads(raw[24 : 24 + n])
    base = -(-(24 + n) // 64) * 64
    change_header(header)
    blobs, listed, offset, crc = [], [], 0, 0
    for name, dtype, at, count in header["arrays"]:
        if not keep(name):
            continue
        blob = raw[base + at : base + at + count * np.dtype(dtype).itemsize]
        padded = blob + bytes(-len(blob) % 64)
        listed.append([name, dtype, offset, count])
        blobs.append(padded)
        crc = zlib.crc32(padded, crc)
        offset += len(padded)
    header.update(arrays=listed, size=offset, crc32=crc)
    head = names.dumps(header, separators=(",", ":")).encode()
    pad = bytes(-(24 + len(head)) % 64)
    path.unlink()  # a new file: readers of the old one keep theirs
    path.write_bytes(
        struct.pack("<8sQQ", b"FAZHISEG", 24 + len(head) + len(pad) + offset, len(head))
        + head
        + pad
        + b"".join(blobs)
    )


def _as_format_1(path) -> None:
    """Rewrite segment file ``path`` as the previous format wrote it: every report's
    metadata in the header, no metadata columns."""
    table = segfile.load(path).metas

    def change(header: dict) -> None:
        header.pop("metatable")
        header["format"] = 1
        header["metas"] = {
            rid: [int(table.docnums[i]), table.meta(i)] for i, rid in enumerate(table.rids)
        }

    _rewrite(path, change, keep=lambda name: not name.startswith("m."))


def _reports(n: int):
    return [
        make_report(
            f"r{i:02d}.txt",
            [f"第{i}项：推行一支队伍管执法。", ("plans", "明年继续。")],
            township=["美湖镇", "湖上乡", None][i % 3],
            county=["德化县", "永春县"][i % 2],
            year=[2021, 2022, None][i % 3],
            date=None if i % 4 else f"2023-0{1 + i % 9}-01",
        )
        for i in range(n)
    ]


def test_an_index_written_by_the_previous_format_reads_the_same(tmp_path):
    index_dir = build_index(tmp_path / "ix", _reports(12))
    with idx.write_session(index_dir) as w:
        w.delete_report(_reports(12)[5].sha256[:16])
    with Engine(index_dir) as engine:
        before = engine.reports(), _search(engine), engine.stats()
        outlines = [engine.report(m["id"])["sections"] for m in before[0]]
    files = sorted(index_dir.glob("*.fzs"))
    assert files and all("metatable" in _header(f) for f in files)
    for f in files:
        _as_format_1(f)
        assert "metas" in _header(f) and segfile.checksum_ok(f)
    with Engine(index_dir) as engine:
        assert (engine.reports(), _search(engine), engine.stats()) == before
        assert [engine.report(m["id"])["sections"] for m in before[0]] == outlines
        assert len(before[0]) == 11 and all(isinstance(m, dict) for m in before[0])


def _search(engine: Engine) -> dict:
    """A search's answer, without the time it took."""
    out = engine.search("一支队伍管执法", filters={"year": ["2021"]})
    del out["took_ms"]
    return out


def _header(path) -> dict:
    raw = path.read_bytes()
    n = struct.unpack("<8sQQ", raw[:24])[2]
    return json.loads(raw[24 : 24 + n])


def test_the_view_keeps_no_dictionary_per_report_and_lists_them_by_file_name(tmp_path):
    reports = _reports(9)
    index_dir = build_index(tmp_path / "ix", reports[::-1])
    with Engine(index_dir) as engine:
        view = engine.view()
        listed = engine.reports(outline=False)
        assert [m["source"] for m in listed] == sorted(m["source"] for m in listed)
        assert list(view.reports) == [m["id"] for m in listed]
        for m in listed:
            row = view.reports[m["id"]]
            assert isinstance(row, RowMeta) and dict(row) == m == view.reports.copy(m["id"])
        listed[0]["title"] = "changed by a caller"  # a copy: the index is not touched
        assert engine.reports(outline=False)[0]["title"] != "changed by a caller"
        assert view.reports.get("no such report") is None and "no such report" not in view.reports


def test_stats_count_what_the_report_list_holds(tmp_path):
    reports = _reports(10)
    index_dir = build_index(tmp_path / "ix", reports)
    with idx.write_session(index_dir) as w:
        w.delete_report(reports[0].sha256[:16])  # 美湖镇 of 德化县, 2021
    with Engine(index_dir) as engine:
        listed = engine.reports(outline=False)
        years = [m["year"] for m in listed if m.get("year")]
        assert engine.stats() == {
            "reports": len(listed) == 9 and 9,
            "townships": len({(m["township"], m["county"]) for m in listed if m["township"]}),
            "counties": len({m["county"] for m in listed if m.get("county")}),
            "years": (min(years), max(years)),
        }
        assert engine.stats()["townships"] == 4  # two names × two counties


def test_damaged_metadata_columns_are_refused_naming_the_file(tmp_path):
    index_dir = build_index(tmp_path / "ix", _reports(3))
    path = next(p for p in index_dir.glob("*.fzs") if segfile.load(p).rids)

    def fewer_labels(header: dict) -> None:  # codes that name values the file lacks
        field = next(f for f in header["metatable"]["fields"] if f[0] == "county")
        assert field[1] == CODES and len(field[2]) == 2
        field[2] = field[2][:1]

    _rewrite(path, fewer_labels)
    with pytest.raises(ValueError, match=f"{path.name}.*county"):
        segfile.load(path)
    with pytest.raises(IndexStoreError), Engine(index_dir) as engine:
        engine.view()


def test_missing_metadata_columns_are_refused_naming_the_file(tmp_path):
    index_dir = build_index(tmp_path / "ix", _reports(3))
    path = next(p for p in index_dir.glob("*.fzs") if segfile.load(p).rids)
    _rewrite(path, lambda header: None, keep=lambda name: not name.startswith("m.0."))
    with pytest.raises(ValueError, match=f"{path.name}: metadata columns missing"):
        segfile.load(path)


def test_a_report_replaced_in_a_later_segment_is_filtered_by_its_new_metadata(tmp_path):
    reports = _reports(6)
    index_dir = build_index(tmp_path / "ix", reports)
    moved = reports[0]  # 美湖镇 of 德化县
    again = make_report(
        moved.source, ["推行一支队伍管执法，今年起在新乡。"], township="新乡", county="新县"
    )
    with idx.write_session(index_dir) as w:
        w.add_report(again, moved.sha256[:16], str(index_dir / again.source))
    with Engine(index_dir) as engine:
        assert len(engine.view().segs) >= 2
        hit = engine.search("一支队伍管执法", filters={"township": ["新乡"]})
        assert [r["id"] for r in hit["reports"]] == [moved.sha256[:16]]
        stored = {m["id"]: m for m in idx.list_reports(index_dir)}
        assert {m["id"]: m for m in engine.reports()} == stored
        assert engine.reports(outline=False)[0]["township"] == "新乡"
