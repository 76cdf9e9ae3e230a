"""The practice catalogue (``/practices``, ``/api/practices``), and a search's practices.

``/api/practices`` without ``q`` is the catalogue (``sort``); with ``q`` it
lists the practices mentioned by the reports a search finds.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from indexer.analytics import SORT_KEYS
from indexer.errors import QueryError
from indexer.search.query import shown

from .. import exports, tables
from ..ext import analytics
from ..params import parse_int, query_params
from ..responses import json_response
from ..urls import MATRIX_PAGE, SEARCH_PAGE

bp = Blueprint("practices", __name__)

SORT_TITLES = {
    "townships": "乡镇数",
    "reports": "报告数",
    "first_year": "最早年度",
    "name": "名称",
}


def _sort(args: MultiDict) -> str:
    sort = args.get("sort", "townships").strip() or "townships"
    if sort not in SORT_KEYS:
        raise QueryError(f"unknown sort '{shown(sort)}' (use {', '.join(SORT_KEYS)})")
    return sort


@bp.get("/practices")
def page():
    sort = _sort(request.args)
    entries = analytics().practices(sort)
    rows = [
        dict(
            e,
            url=url_for(SEARCH_PAGE, q=e["query"]),
            matrix=url_for(MATRIX_PAGE, q=e["query"]),
        )
        for e in entries
    ]
    sorts = [
        {
            "key": key,
            "title": title,
            "url": url_for("practices.page", sort=None if key == "townships" else key),
            "current": key == sort,
        }
        for key, title in SORT_TITLES.items()
    ]
    return render_template(
        "practices.html",
        rows=rows,
        sort=sort,
        sorts=sorts,
        sort_urls={s["key"]: s["url"] for s in sorts},
        downloads=exports.links(
            lambda **a: url_for("practices.api", **a), sort=None if sort == "townships" else sort
        ),
    )


@bp.get("/api/practices")
def api():
    args = request.args
    if "q" not in args:
        for name in args:
            if name not in ("sort", "format"):
                raise QueryError(
                    f"unknown parameter '{shown(name)}' (the catalogue takes sort and format; "
                    "give q for the practices of a search)"
                )
        fmt = exports.check_format(args.get("format", "json"))
        entries = analytics().practices(_sort(args))
        if fmt == "json":
            return json_response(entries)
        return exports.download(fmt, tables.practice_rows(entries), "fazhi-practices")
    if "sort" in args:
        raise QueryError("sort applies to the catalogue only (without q)")
    params = query_params(args, extra=("limit",))
    limit = parse_int(args["limit"], "limit") if "limit" in args else 50
    if not 1 <= limit <= 1000:
        raise QueryError("limit must be between 1 and 1000")
    an = analytics()
    query = an.engine.parse(params.q, params.filters, params.mode)
    return json_response(
        {
            "query": query.text,
            "mode": params.mode,
            "filters": query.filters.to_json(),
            "practices": an.practice_facet(params.q, params.filters, params.mode, limit),
        }
    )
