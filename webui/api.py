"""The JSON API: /api/search, /api/reports, /api/reports/<id>, /api/openapi.json.

``/api/search`` returns exactly what ``Engine.search`` returns, which is what
``fazhi search --json`` prints. Errors are ``{"error": message}`` with 400
(bad parameters), 404 (unknown report) or 503 (no usable index).
"""

from __future__ import annotations

from flask import Blueprint, request

from indexer.model import LISTING_FIELDS

from . import engine, json_response
from .openapi import spec
from .params import parse_search_args

bp = Blueprint("api", __name__, url_prefix="/api")

#: the fields of `fazhi reports --json`, plus the number of passages
REPORT_FIELDS = (*LISTING_FIELDS, "passage_count")


def report_json(meta: dict) -> dict:
    return {k: meta.get(k) for k in REPORT_FIELDS}


@bp.get("/search")
def search():
    params = parse_search_args(request.args, strict=True)
    return json_response(engine().search(params.q, **params.engine_kwargs()))


@bp.get("/reports")
def reports():
    return json_response([report_json(m) for m in engine().reports()])


@bp.get("/reports/<rid>")
def report(rid: str):
    rep = engine().report(rid)
    if rep is None:
        return json_response({"error": f"no report with id '{rid[:64]}'"}, 404)
    out = report_json(rep)
    out["passage_count"] = len(rep["passages"])
    out["passages"] = rep["passages"]
    return json_response(out)


@bp.get("/openapi.json")
def openapi():
    return json_response(spec())
