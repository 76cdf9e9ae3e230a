"""Township × year matrix and trend of one query's matches, and their CSV.

Built from the matches of one query and the reports' metadata columns. The
denominators ("townships indexed", "reports indexed") are the reports in
scope: those that pass the place and year filters; the section filter only
narrows the passages that count.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..search.query import Filters

# ---------------------------------------------------------------- scope


def in_scope(meta: dict, flt: Filters) -> bool:
    """Whether a report passes the place, level, kind and year filters (the section
    filter aside)."""
    for name in ("township", "county", "province", "level", "kind"):
        values = getattr(flt, name)
        if values and meta.get(name) not in values:
            return False
    if flt.year:
        year = meta.get("year")
        if year is None or not any(lo <= year <= hi for lo, hi in flt.year):
            return False
    return True


def filters_from_json(obj: dict) -> Filters:
    """The :class:`Filters` of a search result's ``filters`` (values already canonical)."""
    flt = Filters()
    for name, values in (obj or {}).items():
        for value in values:
            flt.add(name, str(value))
    return flt


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def report_ref(meta: dict) -> dict:
    """How analytics results name a report: its id, title, place, year and date."""
    return {
        "id": meta["id"],
        "title": meta.get("title"),
        "township": meta.get("township"),
        "county": meta.get("county"),
        "province": meta.get("province"),
        "year": meta.get("year"),
        "date": meta.get("date"),
    }


# ---------------------------------------------------------------- trend


def trend(matching: dict[int, int], indexed: dict[int, int]) -> list[dict]:
    """Per year: reports indexed, reports matching, and their share (years ascending).

    ``matching`` and ``indexed`` map a report year to a number of reports.
    """
    years = sorted(set(indexed) | set(matching))
    return [
        {
            "year": y,
            "reports": indexed.get(y, 0),
            "matching": matching.get(y, 0),
            "share": share(matching.get(y, 0), indexed.get(y, 0)),
        }
        for y in years
    ]


def trend_from_facets(year_facet: list[dict], indexed: dict[int, int], flt: Filters) -> list[dict]:
    """The trend of a search result, from its year facet (no second search needed).

    The year facet counts matching reports within every filter but the year;
    restricting it to the year filter gives what :func:`trend` gives.
    """

    def wanted(y: int) -> bool:
        return not flt.year or any(lo <= y <= hi for lo, hi in flt.year)

    matching = {e["value"]: e["count"] for e in year_facet if e["count"] and wanted(e["value"])}
    return trend(matching, {y: n for y, n in indexed.items() if wanted(y)})


# ---------------------------------------------------------------- matrix


def _place(meta: dict) -> tuple:
    return (meta.get("township"), meta.get("county"), meta.get("province"))


@dataclass(frozen=True)
class Scope:
    """What is indexed within some place and year filters: per year, reports and townships."""

    reports: dict[int, int]
    townships: dict[int, int]


def scope_of(reports: Iterable[dict], flt: Filters) -> Scope:
    """Reports and distinct townships per report year among the reports in scope."""
    towns: dict[int, set] = defaultdict(set)
    counts: Counter = Counter()
    for m in reports:
        if m.get("year") is not None and in_scope(m, flt):
            counts[m["year"]] += 1
            if m.get("township"):
                towns[m["year"]].add(_place(m))
    return Scope(dict(counts), {y: len(t) for y, t in towns.items()})


def report_columns(reports: Iterable[dict]) -> dict[str, tuple]:
    """Report id → (place, year), the columns the matrix groups by."""
    return {m["id"]: (_place(m), m.get("year")) for m in reports}


def build_matrix(
    matches: dict[str, list[int]],
    reports: dict[str, dict] | Iterable[dict],
    flt: Filters,
    scope: Scope | None = None,
    columns: dict[str, tuple] | None = None,
) -> dict:
    """Township × year counts of matching passages, with coverage and trend.

    ``reports``: the metadata of every report (by id, or a list); ``scope``
    and ``columns``: :func:`scope_of` and :func:`report_columns` of them, if
    already known. Returns ``years`` (ascending; ``None`` last when a
    matching report has no year), ``rows`` (``township``, ``county``,
    ``province``, ``counts`` aligned with ``years``, ``passages``,
    ``reports``, ``first_year``), ``coverage`` (per year: townships reporting
    it / townships indexed), ``total`` and ``trend``. Rows are ordered by the
    first year with a match, then by number of passages, then by place.
    """
    metas = reports if isinstance(reports, dict) else {m["id"]: m for m in reports}
    if scope is None:
        scope = scope_of(metas.values(), flt)
    if columns is None:
        columns = report_columns(metas.values())

    # (place, year) → [passages, reports]: one dict operation per matching report
    acc: dict[tuple, list[int]] = {}
    for rid, passages in matches.items():
        col = columns.get(rid)
        if col is None or not passages:
            continue
        cell = acc.get(col)
        if cell is None:
            acc[col] = [len(passages), 1]
        else:
            cell[0] += len(passages)
            cell[1] += 1

    by_place: dict[tuple, dict] = defaultdict(dict)
    matching_reports: Counter = Counter()
    matching_towns: Counter = Counter()
    for (place, year), (n, k) in acc.items():
        by_place[place][year] = (n, k)
        if year is not None:
            matching_reports[year] += k
            if place[0]:
                matching_towns[year] += 1

    years: list = sorted(set(scope.reports) | {y for p, y in acc if y is not None})
    if any(y is None for _, y in acc):
        years.append(None)

    rows = []
    for place, cells in by_place.items():
        dated = [y for y in cells if y is not None]
        rows.append(
            {
                "township": place[0],
                "county": place[1],
                "province": place[2],
                "counts": [cells[y][0] if y in cells else 0 for y in years],
                "passages": sum(n for n, _ in cells.values()),
                "reports": sum(k for _, k in cells.values()),
                "first_year": min(dated) if dated else None,
            }
        )
    rows.sort(
        key=lambda r: (
            r["first_year"] if r["first_year"] is not None else 9999,
            -r["passages"],
            r["province"] or "",
            r["county"] or "",
            r["township"] or "",
        )
    )
    coverage = [
        {
            "year": y,
            "townships": matching_towns.get(y, 0),
            "indexed": scope.townships.get(y, 0),
            "share": share(matching_towns.get(y, 0), scope.townships.get(y, 0)),
        }
        for y in years
        if y is not None
    ]
    return {
        "years": years,
        "rows": rows,
        "coverage": coverage,
        "total": {
            "townships": sum(1 for p in by_place if p[0]),
            "reports": sum(r["reports"] for r in rows),
            "passages": sum(r["passages"] for r in rows),
        },
        "trend": trend(dict(matching_reports), scope.reports),
    }


# ---------------------------------------------------------------- CSV

#: a spreadsheet treats a cell starting with one of these as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_BOM = "\ufeff"


def csv_cell(value) -> str | int | float:
    """A value safe to put in a CSV cell: numbers as they are, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: Iterable[Iterable]) -> str:
    """CSV text (UTF-8 BOM first, CRLF line ends, every cell made safe) that Excel opens."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def year_label(year: int | None) -> str:
    return f"{year}年度" if year is not None else "年度不详"


def matrix_csv(matrix: dict) -> str:
    """The matrix as CSV: one row per township, one column per year, then coverage lines."""
    years = matrix["years"]
    rows: list[list] = [["省份", "区县", "乡镇（街道）", *(year_label(y) for y in years), "合计"]]
    for r in matrix["rows"]:
        rows.append([r["province"], r["county"], r["township"], *r["counts"], r["passages"]])
    cov = {c["year"]: c for c in matrix["coverage"]}
    rows.append([])
    rows.append(["", "", "提及的乡镇数", *(cov[y]["townships"] if y in cov else "" for y in years)])
    rows.append(["", "", "已收录乡镇数", *(cov[y]["indexed"] if y in cov else "" for y in years)])
    rows.append(["", "", "覆盖率", *(f"{cov[y]['share']:.1%}" if y in cov else "" for y in years)])
    tr = {t["year"]: t for t in matrix["trend"]}
    rows.append(
        ["", "", "提及的报告占比", *(f"{tr[y]['share']:.1%}" if y in tr else "" for y in years)]
    )
    return to_csv(rows)
