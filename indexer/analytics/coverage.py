"""The five parts Art. 25 asks every report for, found from headings and from content.

《法治政府建设与责任落实督察工作规定》 Art. 25 asks a yearly report for five
parts (:data:`PARTS`). A part is **present** when the report has a part under
a heading of that kind (the section key structure gave its passages), or when
its wording says it without a heading: a sentence such as “仍存在一些短板和弱项”
in another part reports shortcomings, “镇主要领导……亲自部署、亲自抓” reports
the leading officials' duty. The content cues (:data:`CUES`) are phrases that
report the part, not words that merely touch it (补齐短板 is a measure, not a
shortcoming). Each part says ``how`` it was found and the passages.

The coverage table lays the parts out per township and year over the reports in
scope (place and year filters), with the townships that have a report in some
other year but none in a year shown (``missing``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from ..model import SECTION_LABELS
from ..search.query import Filters
from .matrix import in_scope, report_ref, share, to_csv, year_label

#: the five parts of Art. 25, in report order
PARTS: tuple[str, ...] = ("measures", "shortcomings", "leadership", "plans", "other_matters")
#: short names for table heads and tags
PART_SHORT: dict[str, str] = {
    "measures": "举措成效",
    "shortcomings": "不足原因",
    "leadership": "第一责任人履职",
    "plans": "下年安排",
    "other_matters": "其他情况",
}

#: phrases that report a part where no heading names it (searched in body passages)
CUES: dict[str, re.Pattern] = {
    "measures": re.compile(r"主要(?:举措|做法)|取得(?:了)?(?:一定|明显|显著|积极)?(?:的)?成效"),
    "shortcomings": re.compile(
        r"(?:仍|还|也|依然|但)(?:然)?存在(?:着)?(?:一些|部分|一定的?|不少|诸多|以下)?"
        r"(?:的)?(?:不足|问题|短板|差距|薄弱|弱项|困难)|短板(?:和|与|及)弱项|不足之处|"
        r"存在的(?:主要)?(?:问题|不足)|(?:问题|差距)(?:和|与|及)不足|不足(?:和|与|及)(?:问题|原因)"
    ),
    "leadership": re.compile(
        r"第一责任人|党政(?:主要负责人|一把手)|(?:[镇乡]|党委|政府|街道)主要(?:领导|负责人)"
        r"[^。；]{0,20}?(?:亲自|带头|履行|负总责)"
    ),
    "plans": re.compile(
        r"^(?:下一步|下步|下一年度?|明年|今后)|(?:下一步|下一年度?|明年|来年)(?:，|,)?"
        r"(?:我[镇乡]|我们|将|要|继续|重点)"
    ),
    "other_matters": re.compile(r"其他需要报告的(?:情况|事项)"),
}
#: a heading that names the fifth part (until structure gives it its own key)
_OTHER_HEADING = re.compile(
    r"其他需要报告|其他(?:有关)?(?:事项|情况)$|^(?:[一二三四五六七八九十]+、)?其他$"
)
#: passages listed per part found from content
CONTENT_PASSAGES = 5


def part_labels() -> list[dict]:
    """``[{key, label, short}]`` of the five parts."""
    return [{"key": k, "label": SECTION_LABELS[k], "short": PART_SHORT[k]} for k in PARTS]


def report_parts(passages: Iterable[dict | Sequence]) -> list[dict]:
    """The five parts of one report: ``[{key, label, present, how, passages, heading}]``.

    ``passages``: dicts with ``id``, ``section``, ``heading``, ``text``,
    ``kind`` (as ``Engine.report`` gives them) or stored rows ``(id, section,
    heading, path, text, kind)``. ``how``: ``"heading"`` (a part with that
    heading: ``passages`` lists its heading passages, or its first passage),
    ``"content"`` (``passages`` lists up to :data:`CONTENT_PASSAGES` passages
    whose wording reports it) or None (missing).
    """
    by_heading: dict[str, list[int]] = {k: [] for k in PARTS}
    first: dict[str, int] = {}
    headings: dict[str, str] = {}
    by_content: dict[str, list[int]] = {k: [] for k in PARTS}
    for p in passages:
        pid, section, heading, text, kind = _fields(p)
        if kind == "heading" and _OTHER_HEADING.search(text.strip()):
            section = "other_matters"
        if section in by_heading:
            first.setdefault(section, pid)
            if kind == "heading":
                if not by_heading[section]:
                    headings[section] = text
                by_heading[section].append(pid)
            elif section not in headings and heading:
                headings[section] = heading
        if kind != "body":
            continue
        for key, cue in CUES.items():
            if key != section and len(by_content[key]) < CONTENT_PASSAGES and _says(cue, text):
                by_content[key].append(pid)
    out = []
    for key in PARTS:
        if key in first:
            how, ids = "heading", by_heading[key][:CONTENT_PASSAGES] or [first[key]]
        elif by_content[key]:
            how, ids = "content", by_content[key]
        else:
            how, ids = None, []
        out.append(
            {
                "key": key,
                "label": SECTION_LABELS[key],
                "present": how is not None,
                "how": how,
                "passages": ids,
                "heading": headings.get(key) if how == "heading" else None,
            }
        )
    return out


def _fields(p) -> tuple[int, str, str, str, str]:
    if isinstance(p, dict):
        return (
            int(p["id"]),
            p.get("section") or "other",
            p.get("heading") or "",
            p.get("text") or "",
            p.get("kind") or "body",
        )
    n, section, heading, _path, text, kind = p
    return int(n), section, heading or "", text or "", kind


_SENTENCE = re.compile(r"[^。！？；!?;]+")


def _says(cue: re.Pattern, text: str) -> bool:
    """Whether a sentence of ``text`` carries the cue (``^`` anchors at a sentence start)."""
    if cue.pattern.startswith("^") or "|^" in cue.pattern:
        return any(cue.search(s.strip()) for s in _SENTENCE.findall(text))
    return cue.search(text) is not None


def present_keys(parts: list[dict]) -> set[str]:
    return {p["key"] for p in parts if p["present"]}


# ---------------------------------------------------------------- the table


def coverage_table(
    metas: Iterable[dict],
    parts_of: Callable[[str], list[dict]],
    flt: Filters,
    keep: Callable[[dict], bool] | None = None,
) -> dict:
    """Townships × parts over the reports in scope (see the module doc), JSON-ready.

    ``parts_of(report id)``: :func:`report_parts` of that report. ``keep``: a
    further test a report must pass (e.g. only township annual reports).
    Rows: one per report, by year (newest first), county, township. ``missing``:
    per year in scope, the townships (of the same place filters) with a report
    in another year but none that year.
    """
    # the townships to account for: of the place, level and kind asked (a township
    # with only a work plan in a year is missing that year's annual report)
    places = Filters(
        township=flt.township,
        county=flt.county,
        province=flt.province,
        level=flt.level,
        kind=flt.kind,
    )
    rows = []
    towns_any: dict[tuple, dict] = {}
    towns_in_year: dict[int, set] = {}
    for m in metas:
        if keep is not None and not keep(m):
            continue
        if not in_scope(m, places):
            continue
        place = (m.get("township"), m.get("county"), m.get("province"))
        if m.get("township"):
            towns_any.setdefault(
                place, {"township": place[0], "county": place[1], "province": place[2]}
            )
        if m.get("year") is not None:
            towns_in_year.setdefault(m["year"], set()).add(place)
        if not in_scope(m, flt):
            continue
        parts = parts_of(m["id"])
        cells = [
            {"key": p["key"], "present": p["present"], "how": p["how"], "passages": p["passages"]}
            for p in parts
        ]
        rows.append(
            {
                **report_ref(m),
                "parts": cells,
                "present": sum(1 for c in cells if c["present"]),
                "complete": all(c["present"] for c in cells),
            }
        )
    rows.sort(key=lambda r: (r["township"] or "", r["county"] or ""))
    rows.sort(key=lambda r: r["county"] or "")
    rows.sort(key=lambda r: -(r["year"] or 0))
    years = sorted({r["year"] for r in rows if r["year"] is not None}, reverse=True)
    missing = []
    for y in years:
        have = towns_in_year.get(y, set())
        for place, town in sorted(
            towns_any.items(), key=lambda kv: (kv[0][1] or "", kv[0][0] or "")
        ):
            if place not in have:
                missing.append({"year": y, **town})
    n = len(rows)
    per_part = []
    for i, key in enumerate(PARTS):
        k = sum(1 for r in rows if r["parts"][i]["present"])
        per_part.append(
            {"key": key, "label": SECTION_LABELS[key], "reports": k, "share": share(k, n)}
        )
    return {
        "filters": flt.to_json(),
        "parts": part_labels(),
        "years": years,
        "rows": rows,
        "missing": missing,
        "total": {
            "reports": n,
            "complete": sum(1 for r in rows if r["complete"]),
            "townships": len({(r["township"], r["county"]) for r in rows if r["township"]}),
            "missing": len(missing),
            "parts": per_part,
        },
    }


_HOW = {"heading": "有（标题）", "content": "有（正文）", None: "缺"}


def coverage_rows(table: dict) -> list[list]:
    """The coverage table as rows for CSV/XLSX: a header, one row per report, then
    the townships without a report in a year."""
    heads = ["年度", "省份", "区县", "乡镇（街道）", "报告", "成文日期"]
    out: list[list] = [[*heads, *(p["label"] for p in table["parts"]), "五部分齐全", "报告编号"]]
    for r in table["rows"]:
        out.append(
            [
                r["year"],
                r["province"],
                r["county"],
                r["township"],
                r["title"],
                r["date"],
                *(_HOW[c["how"]] for c in r["parts"]),
                "是" if r["complete"] else "否",
                r["id"],
            ]
        )
    for m in table["missing"]:
        out.append(
            [m["year"], m["province"], m["county"], m["township"], "（该年度无报告）", None]
            + [None] * len(table["parts"])
            + [None, None]
        )
    return out


def coverage_csv(table: dict) -> str:
    return to_csv(coverage_rows(table))


__all__ = [
    "CUES",
    "PARTS",
    "PART_SHORT",
    "coverage_csv",
    "coverage_rows",
    "coverage_table",
    "part_labels",
    "present_keys",
    "report_parts",
    "year_label",
]
