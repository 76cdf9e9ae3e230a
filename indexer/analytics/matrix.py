"""Township × year matrix and trend of one query's matches, and their CSV.

Built from the matches of one query and the reports' metadata columns. The
denominators ("townships indexed", "reports indexed") are the reports in
scope: those that pass the place and year filters; the section filter only
narrows the passages that count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

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


class MatrixColumns:
    """What the matrix groups by, over report numbers: place and year as integer codes.

    ``place``: code of (township, county, province) in ``places``; ``year``:
    code in ``years`` (-1: no year). Built once per index generation, so that
    a matrix is a few array operations over the matching reports instead of
    a dictionary lookup per report.
    """

    __slots__ = ("place", "places", "year", "years", "town", "text_rank")

    def __init__(self, metas: list[dict]) -> None:
        place_code: dict[tuple, int] = {}
        year_code: dict[int, int] = {}
        place = np.empty(len(metas), dtype=np.int64)
        year = np.full(len(metas), -1, dtype=np.int64)
        for r, m in enumerate(metas):
            place[r] = place_code.setdefault(_place(m), len(place_code))
            y = m.get("year")
            if y is not None:
                year[r] = year_code.setdefault(y, len(year_code))
        self.place, self.year = place, year
        self.places: list[tuple] = list(place_code)
        self.years: list[int] = list(year_code)
        #: by place code: whether the place names a township
        self.town = np.array([bool(p[0]) for p in self.places], dtype=bool)
        #: by place code: its rank by province, county, then township name
        key = [(p[2] or "", p[1] or "", p[0] or "") for p in self.places]
        self.text_rank = np.empty(len(key), dtype=np.int64)
        self.text_rank[sorted(range(len(key)), key=key.__getitem__)] = np.arange(len(key))

    def scope(self, selected: np.ndarray) -> Scope:
        """Reports and distinct townships per year among the ``selected`` reports (a mask)."""
        sel = selected & (self.year >= 0)
        years = self.year[sel]
        ny = len(self.years)
        reports = np.bincount(years, minlength=ny)
        places = self.place[sel]
        towns = self.town[places]
        cells = np.unique(places[towns] * ny + years[towns])
        townships = np.bincount(cells % ny, minlength=ny) if ny else reports
        label = self.years
        return Scope(
            {label[c]: int(reports[c]) for c in np.flatnonzero(reports).tolist()},
            {label[c]: int(townships[c]) for c in np.flatnonzero(townships).tolist()},
        )


def scope_of(reports: Iterable[dict], flt: Filters) -> Scope:
    """Reports and distinct townships per report year among the reports in scope."""
    metas = list(reports)
    cols = MatrixColumns(metas)
    return cols.scope(np.array([in_scope(m, flt) for m in metas], dtype=bool))


def build_matrix(
    matches: dict[str, list[int]],
    reports: dict[str, dict] | Iterable[dict],
    flt: Filters,
    scope: Scope | None = None,
) -> dict:
    """Township × year counts of matching passages, with coverage and trend.

    ``matches``: report id → its matching passages; ``reports``: the metadata
    of every report (by id, or a list); ``scope``: :func:`scope_of` them, if
    already known. See :func:`matrix_of` for what is returned.
    """
    metas = list(reports.values() if isinstance(reports, dict) else reports)
    cols = MatrixColumns(metas)
    passages = np.array([len(matches.get(m["id"]) or ()) for m in metas], dtype=np.int64)
    if scope is None:
        scope = cols.scope(np.array([in_scope(m, flt) for m in metas], dtype=bool))
    return matrix_of(passages, cols, scope)


#: where a township without a dated match sorts among the first years
_UNDATED = 9999


def matrix_of(passages: np.ndarray, cols: MatrixColumns, scope: Scope) -> dict:
    """Township × year counts of matching passages, with coverage and trend.

    ``passages``: by report number, how many of its passages match (after
    every filter); ``cols``: the places and years of the same reports;
    ``scope``: what is indexed within the place and year filters. Returns
    ``years`` (ascending; ``None`` last when a matching report has no year),
    ``rows`` (``township``, ``county``, ``province``, ``counts`` aligned with
    ``years``, ``passages``, ``reports``, ``first_year``), ``coverage`` (per
    year: townships reporting it / townships indexed), ``total`` and
    ``trend``. Rows are ordered by the first year with a match, then by
    number of passages, then by place.
    """
    reps = np.flatnonzero(passages)
    ny = len(cols.years) + 1  # year codes shifted by one: 0 is "no year"
    cells, inv = np.unique(cols.place[reps] * ny + cols.year[reps] + 1, return_inverse=True)
    cell_passages = np.bincount(inv, weights=passages[reps]).astype(np.int64)
    cell_reports = np.bincount(inv, minlength=len(cells))
    cell_place, cell_year = cells // ny, cells % ny - 1
    dated = cell_year >= 0

    matched_years = [cols.years[c] for c in np.unique(cell_year[dated]).tolist()]
    years: list = sorted(set(scope.reports) | set(matched_years))
    where = {y: i for i, y in enumerate(years)}
    column = np.zeros(ny, dtype=np.int64)  # shifted year code → column of ``years``
    for c, y in enumerate(cols.years):
        column[c + 1] = where.get(y, 0)  # a year not in ``years`` has no matching cell
    if not dated.all():
        column[0] = len(years)
        years.append(None)

    places, row = np.unique(cell_place, return_inverse=True)
    counts = np.zeros((len(places), len(years)), dtype=np.int64)
    counts[row, column[cell_year + 1]] = cell_passages
    row_passages = counts.sum(axis=1)
    row_reports = np.bincount(row, weights=cell_reports, minlength=len(places)).astype(np.int64)
    year_value = np.array([*cols.years, _UNDATED], dtype=np.int64)  # code -1: the last one
    first = np.full(len(places), _UNDATED, dtype=np.int64)
    np.minimum.at(first, row, year_value[cell_year])
    order = np.lexsort((cols.text_rank[places], -row_passages, first))

    label = cols.places
    ordered = zip(
        places[order].tolist(),
        counts[order].tolist(),  # one conversion for the whole table
        row_passages[order].tolist(),
        row_reports[order].tolist(),
        first[order].tolist(),
        strict=True,
    )
    rows = [
        {
            "township": label[p][0],
            "county": label[p][1],
            "province": label[p][2],
            "counts": c,
            "passages": n,
            "reports": k,
            "first_year": y if y != _UNDATED else None,
        }
        for p, c, n, k, y in ordered
    ]

    by_year = cell_year[dated]
    matching_reports = np.bincount(by_year, weights=cell_reports[dated], minlength=ny - 1)
    matching_towns = np.bincount(by_year[cols.town[cell_place[dated]]], minlength=ny - 1)
    matching = {cols.years[c]: int(matching_reports[c]) for c in np.flatnonzero(matching_reports)}
    towns = {cols.years[c]: int(matching_towns[c]) for c in np.flatnonzero(matching_towns)}
    coverage = [
        {
            "year": y,
            "townships": towns.get(y, 0),
            "indexed": scope.townships.get(y, 0),
            "share": share(towns.get(y, 0), scope.townships.get(y, 0)),
        }
        for y in years
        if y is not None
    ]
    return {
        "years": years,
        "rows": rows,
        "coverage": coverage,
        "total": {
            "townships": int(cols.town[places].sum()),
            "reports": int(row_reports.sum()),
            "passages": int(row_passages.sum()),
        },
        "trend": trend(matching, scope.reports),
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
