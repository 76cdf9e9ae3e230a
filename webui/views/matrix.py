"""The township × year matrix (``/matrix``) and the trend: page, JSON and CSV.

API: ``/api/matrix`` (``?format=csv``, or ``/api/matrix.csv``) and
``/api/trend``. The logic lives in :mod:`indexer.analytics`; this module reads
parameters and lays things out.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from indexer.analytics import matrix_csv, year_label
from indexer.errors import QueryError

from .. import exports, tables
from ..charts import trend_chart
from ..ext import analytics
from ..messages import query_error
from ..params import SearchParams, output_format, page_params, query_params
from ..responses import csv_response, json_response
from ..urls import search_url

bp = Blueprint("matrix", __name__)

#: rows of the matrix shown on the page (CSV and JSON have them all)
MATRIX_ROWS_SHOWN = 500


@bp.get("/matrix")
def page():
    try:
        params = page_params(request.args)
    except QueryError as exc:
        return render_template(
            "matrix.html",
            params=SearchParams(q=request.args.get("q", "")),
            error=query_error(exc, request.args.get("q", "")),
        ), 400
    if not params.q.strip():
        return render_template("matrix.html", params=params, m=None)
    try:
        m = analytics().matrix(params.q, params.filters, params.mode)
    except QueryError as exc:
        error = query_error(exc, params.q)
        return render_template("matrix.html", params=params, error=error), 400
    rows = []
    for r in m["rows"][:MATRIX_ROWS_SHOWN]:
        cells = []
        for year, n in zip(m["years"], r["counts"], strict=True):
            url = None
            if n and r["township"] and year is not None:
                url = search_url(params, township=r["township"], county=r["county"], year=year)
            cells.append({"year": year, "n": n, "url": url})
        rows.append(dict(r, cells=cells))
    chart = trend_chart(m["trend"], lambda y: search_url(params, year=y))
    export = {"q": params.q, **params.filters}
    if params.mode != "exact":
        export["mode"] = params.mode
    return render_template(
        "matrix.html",
        params=params,
        m=m,
        rows=rows,
        hidden=len(m["rows"]) - len(rows),
        chart=chart,
        year_label=year_label,
        search_url=search_url(params),
        csv_url=url_for("matrix.csv_api", **export),
        xlsx_url=url_for("matrix.api", format="xlsx", **export),
        json_url=url_for("matrix.api", **export),
    )


@bp.get("/api/matrix")
def api():
    params = query_params(request.args, extra=("format",))
    fmt = output_format(request.args)
    m = analytics().matrix(params.q, params.filters, params.mode)
    if fmt == "csv":
        return csv_response(matrix_csv(m), "fazhi-matrix", f"fazhi-matrix-{params.q.strip()[:40]}")
    if fmt == "xlsx":
        return exports.download(fmt, tables.matrix_rows(m), "fazhi-matrix", params.q)
    return json_response(m)


@bp.get("/api/matrix.csv")
def csv_api():
    params = query_params(request.args)
    m = analytics().matrix(params.q, params.filters, params.mode)
    return csv_response(matrix_csv(m), "fazhi-matrix", f"fazhi-matrix-{params.q.strip()[:40]}")


@bp.get("/api/trend")
def trend_api():
    params = query_params(request.args)
    return json_response(analytics().trend(params.q, params.filters, params.mode))
