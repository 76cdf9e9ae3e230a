"""The rows of every list's download (CSV and XLSX): a header, then one row per item.

Each function takes the JSON a view already has and returns plain rows for
:func:`webui.exports.download`; links are absolute (the public base URL when
one is configured), so that a spreadsheet's reader can follow them.
"""

from __future__ import annotations

from . import citation
from .urls import ReportLinks

_STATUS = {
    "same": "相同",
    "near": "近似",
    "boilerplate": "套话",
    "new": "未见于其他报告",
    "short": "过短，未比较",
    "unchecked": "超时，未比较",
}


def check_rows(result: dict) -> list[list]:
    """A draft check: one row per sentence, with its earliest source."""
    out: list[list] = [
        ["段落", "句子", "结果", "字数", "见于其他报告数", "最早出处（乡镇）", "区县", "成文日期",
         "出处原文", "相似度", "出处链接", "出处报告编号"]
    ]  # fmt: skip
    for p in result["passages"]:
        for s in p["sentences"]:
            m = s["matches"][0] if s["matches"] else None
            out.append(
                [
                    p["passage"],
                    s["text"],
                    _STATUS.get(s["status"], s["status"]),
                    s["chars"],
                    s["count"] if s["status"] not in ("short", "unchecked") else None,
                    m and m["township"],
                    m and m["county"],
                    m and (m["date"] or m["year"]),
                    m and m["text"],
                    m and m["similarity"],
                    m and ReportLinks(m["id"], {}).permalink(int(m["passage"])),
                    m and m["id"],
                ]
            )
    return out


def report_rows(reports: list[dict]) -> list[list]:
    """The report list: metadata, 雷同度 and the copy verdict, link."""
    out: list[list] = [
        ["报告", "发文机关", "乡镇（街道）", "区县", "地级市", "省份", "年度", "成文日期", "文号",
         "雷同度", "主要来源", "网址", "链接", "报告编号"]
    ]  # fmt: skip
    for m in reports:
        copy = m.get("copy") or {}
        top = copy.get("source") or {}
        out.append(
            [
                citation.title_of(m),
                m.get("issuer"),
                m.get("township"),
                m.get("county"),
                m.get("city"),
                m.get("province"),
                m.get("year"),
                m.get("date"),
                m.get("doc_number"),
                copy.get("share"),
                " ".join(x for x in (top.get("township"), str(top.get("year") or "")) if x) or None,
                m.get("url"),
                ReportLinks(m["id"], {}).external,
                m["id"],
            ]
        )
    return out


def practice_rows(entries: list[dict]) -> list[list]:
    out: list[list] = [["做法", "乡镇数", "报告数", "最早年度", "其他写法", "来源", "检索式"]]
    for e in entries:
        others = [v for v in e["variants"] if v != e["name"]]
        out.append(
            [
                e["name"],
                e["townships"],
                e["reports"],
                e["first_year"],
                "、".join(others),
                "词表" if e["source"] == "lexicon" else "引号",
                e["query"],
            ]
        )
    return out


def search_rows(reports: list[dict], marks: list[str]) -> list[list]:
    """Search results: one row per matching passage, with its citation and its link."""
    from indexer.search.highlight import snippet_spans

    out: list[list] = [
        ["报告", "乡镇（街道）", "区县", "省份", "年度", "成文日期", "部分", "小标题", "段落",
         "原文", "引文", "GB/T 7714-2015", "链接", "报告编号"]
    ]  # fmt: skip
    for r in reports:
        links = ReportLinks(r["id"], {})
        gbt = citation.gbt7714(r)
        for p in r["passages"]:
            n = int(p["id"])
            spans = snippet_spans(p["text"], p["snippet"]) if marks else None
            link = links.permalink(n)
            out.append(
                [
                    citation.title_of(r),
                    r.get("township"),
                    r.get("county"),
                    r.get("province"),
                    r.get("year"),
                    r.get("date"),
                    p.get("label"),
                    p.get("heading"),
                    n,
                    p["text"],
                    citation.plain(r, p, link, spans),
                    gbt,
                    link,
                    r["id"],
                ]
            )
    return out


def matrix_rows(m: dict) -> list[list]:
    """The township × year matrix as the CSV lays it out (rows, then the coverage lines)."""
    import csv
    import io

    from indexer.analytics import matrix_csv

    rows = list(csv.reader(io.StringIO(matrix_csv(m).lstrip("\ufeff"))))
    out: list[list] = []
    for row in rows:
        out.append([_number(v) for v in row])
    return out


def _number(value: str):
    """A CSV cell back as a number when it is one (so that a spreadsheet can sum it)."""
    if value.isdigit() and len(value) < 16:
        return int(value)
    if value.startswith("'"):
        return value[1:]
    return value
