"""Art. 25 coverage: which townships' reports have which of the five parts.

``/coverage`` (filters ``county``, ``year``, ``township``, ``province``,
repeatable) shows the table of townships × parts, the townships without a
report in a year, and downloads; ``/api/coverage`` returns its JSON
(``fazhi coverage --json``), ``?format=csv`` or ``?format=xlsx`` the table.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from indexer.analytics import coverage_rows, year_label
from indexer.errors import QueryError
from indexer.model import REPORT_KINDS, REPORT_LEVELS
from indexer.search.query import shown

from .. import exports
from ..ext import analytics
from ..responses import json_response
from ..urls import COVERAGE_API, ReportLinks

bp = Blueprint("coverage", __name__)

#: the filters the table takes (the section filter does not apply)
COVERAGE_FILTERS = ("township", "county", "year", "province", "level", "kind")
#: rows shown on the page (the downloads have them all)
ROWS_SHOWN = 1000


def coverage_filters(args: MultiDict, *, strict: bool) -> dict[str, list[str]]:
    """The place and year filters of a request (strict: anything else is an error)."""
    if strict:
        for name in args:
            if name not in (*COVERAGE_FILTERS, "format"):
                raise QueryError(
                    f"unknown parameter '{shown(name)}' (known: {', '.join(COVERAGE_FILTERS)}, format)"
                )
    out = {}
    for name in COVERAGE_FILTERS:
        values = [v.strip() for v in args.getlist(name) if v.strip() or strict]
        if len(values) > 50:
            raise QueryError(f"too many values for '{name}' (the limit is 50)")
        if values:
            out[name] = values
    return out


@bp.get("/coverage")
def page():
    try:
        filters = coverage_filters(request.args, strict=False)
        table = analytics().coverage(filters)
    except QueryError as exc:
        return render_template("coverage.html", error=exc.user_message(), filters={}), 400
    rows = []
    for r in table["rows"][:ROWS_SHOWN]:
        links = ReportLinks(r["id"], {})
        cells = [
            dict(c, url=links.passage(c["passages"][0]) if c["passages"] else None)
            for c in r["parts"]
        ]
        rows.append(dict(r, url=links.page(), cells=cells))
    facets = _choices(filters)
    return render_template(
        "coverage.html",
        table=table,
        rows=rows,
        hidden=len(table["rows"]) - len(rows),
        filters=filters,
        facets=facets,
        year_label=year_label,
        downloads=exports.links(lambda **a: url_for(COVERAGE_API, **a), **filters),
        json_url=url_for(COVERAGE_API, **filters),
    )


def _choices(filters: dict) -> dict:
    """The counties, years, levels and kinds to pick from (of every report indexed)."""
    metas = analytics().metas().values()
    counties = sorted({m["county"] for m in metas if m.get("county")})
    years = sorted({m["year"] for m in metas if m.get("year") is not None}, reverse=True)
    levels = {m.get("level") for m in metas}
    kinds = {m.get("kind") for m in metas}
    return {
        "county": counties,
        "year": years,
        "level": [(k, label) for k, label in REPORT_LEVELS.items() if k in levels],
        "kind": [(k, label) for k, label in REPORT_KINDS.items() if k in kinds],
    }


@bp.get("/api/coverage")
def api():
    fmt = exports.check_format(request.args.get("format", "json"))
    filters = coverage_filters(request.args, strict=True)
    table = analytics().coverage(filters)
    if fmt == "json":
        return json_response(table)
    detail = "-".join(v for vs in filters.values() for v in vs)
    return exports.download(fmt, coverage_rows(table), "fazhi-coverage", detail)
