"""The analytics endpoints of the OpenAPI description: matrix, trend, practices, precedents."""

from __future__ import annotations

from indexer.search import MODES

from .common import (
    NULLABLE_STR,
    REPORT_REF_PROPS,
    csv_ok,
    download_param,
    error_response,
    json_ok,
    limit_param,
    query_params,
    ref,
)


def paths(unavailable: dict) -> dict:
    bad = error_response("Malformed query or parameter.")
    return {
        "/api/matrix": {
            "get": {
                "operationId": "matrix",
                "summary": "Township × year counts of matching passages, coverage and trend.",
                "parameters": [
                    *query_params(),
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["json", "csv", "xlsx"],
                            "default": "json",
                        },
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The matrix (JSON, or CSV with format=csv).",
                        "content": {
                            "application/json": {"schema": ref("Matrix")},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400": bad,
                    "503": unavailable,
                },
            }
        },
        "/api/matrix.csv": {
            "get": {
                "operationId": "matrixCsv",
                "summary": "The matrix as CSV for Excel.",
                "parameters": query_params(),
                "responses": {"200": csv_ok(), "400": bad, "503": unavailable},
            }
        },
        "/api/trend": {
            "get": {
                "operationId": "trend",
                "summary": "Per report year, the share of indexed reports that match.",
                "parameters": query_params(),
                "responses": {
                    "200": json_ok("The trend.", ref("Trend")),
                    "400": bad,
                    "503": unavailable,
                },
            }
        },
        "/api/practices": {
            "get": {
                "operationId": "practices",
                "summary": "Without q: the practice catalogue. With q (and the search "
                "filters): the practices mentioned by the matching reports.",
                "parameters": [
                    {
                        "name": "sort",
                        "in": "query",
                        "description": "Catalogue order (without q only).",
                        "schema": {
                            "type": "string",
                            "enum": ["townships", "reports", "first_year", "name"],
                            "default": "townships",
                        },
                    },
                    download_param(),
                    {**query_params()[0], "required": False},
                    *query_params()[1:6],
                    limit_param("Practices listed for a query."),
                ],
                "responses": {
                    "200": json_ok(
                        "A list of Practice (catalogue) or a PracticeFacet (with q).",
                        {
                            "oneOf": [
                                {"type": "array", "items": ref("Practice")},
                                ref("PracticeFacet"),
                            ]
                        },
                    ),
                    "400": bad,
                    "503": unavailable,
                },
            }
        },
        "/api/reports/{id}/precedents": {
            "get": {
                "operationId": "precedents",
                "summary": "Sentences of a report found in other reports (same or "
                "near-identical wording), the earliest marked as precedent.",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {
                        **limit_param("Other reports listed per sentence (the count covers all)."),
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 5},
                    },
                ],
                "responses": {
                    "200": json_ok("The precedents.", ref("Precedents")),
                    "400": bad,
                    "404": error_response("No report with this id."),
                    "503": unavailable,
                },
            }
        },
    }


def schemas() -> dict:
    year = {"type": ["integer", "null"]}
    share = {"type": "number", "minimum": 0, "maximum": 1}
    trend_point = {
        "type": "object",
        "required": ["year", "reports", "matching", "share"],
        "properties": {
            "year": {"type": "integer"},
            "reports": {"type": "integer", "description": "Reports indexed that year (in scope)."},
            "matching": {"type": "integer", "description": "Of which match the query."},
            "share": share,
        },
    }
    return {
        "TrendPoint": trend_point,
        "Trend": {
            "type": "object",
            "required": ["query", "mode", "filters", "trend"],
            "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": list(MODES)},
                "filters": ref("Filters"),
                "trend": {"type": "array", "items": ref("TrendPoint")},
            },
        },
        "Matrix": {
            "type": "object",
            "required": ["query", "mode", "filters", "years", "rows", "coverage", "total", "trend"],
            "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": list(MODES)},
                "filters": ref("Filters"),
                "years": {
                    "type": "array",
                    "items": year,
                    "description": "Column years, ascending; null last (reports without a year).",
                },
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "township": NULLABLE_STR,
                            "county": NULLABLE_STR,
                            "province": NULLABLE_STR,
                            "counts": {
                                "type": "array",
                                "items": {"type": "integer"},
                                "description": "Matching passages per year, aligned with years.",
                            },
                            "passages": {"type": "integer"},
                            "reports": {"type": "integer"},
                            "first_year": year,
                        },
                    },
                },
                "coverage": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "year": {"type": "integer"},
                            "townships": {"type": "integer", "description": "Mentioning it."},
                            "indexed": {"type": "integer", "description": "Townships indexed."},
                            "share": share,
                        },
                    },
                },
                "total": {
                    "type": "object",
                    "properties": {
                        "townships": {"type": "integer"},
                        "reports": {"type": "integer"},
                        "passages": {"type": "integer"},
                    },
                },
                "trend": {"type": "array", "items": ref("TrendPoint")},
            },
        },
        "Practice": {
            "type": "object",
            "required": ["name", "variants", "source", "townships", "reports", "first_year"],
            "properties": {
                "name": {"type": "string"},
                "variants": {"type": "array", "items": {"type": "string"}},
                "source": {"type": "string", "enum": ["lexicon", "quoted"]},
                "townships": {"type": "integer"},
                "reports": {"type": "integer"},
                "first_year": year,
                "query": {"type": "string", "description": "Exact query: the OR of the variants."},
            },
        },
        "PracticeFacet": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": list(MODES)},
                "filters": ref("Filters"),
                "practices": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "reports": {"type": "integer", "description": "Matching reports."},
                            "query": {"type": "string"},
                            "variants": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "PrecedentMatch": {
            "type": "object",
            "properties": {
                **REPORT_REF_PROPS,
                "passage": {"type": "integer"},
                "text": {"type": "string", "description": "The other report's sentence."},
                "kind": {"type": "string", "enum": ["same", "near"]},
                "similarity": share,
                "precedent": {"type": "boolean", "description": "The earliest report."},
            },
        },
        "Precedents": {
            "type": "object",
            "properties": {
                **REPORT_REF_PROPS,
                "rules": {"type": "object"},
                "total": {
                    "type": "object",
                    "properties": {
                        "sentences": {"type": "integer"},
                        "boilerplate": {"type": "integer"},
                        "reports": {"type": "integer"},
                    },
                },
                "passages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "passage": {"type": "integer"},
                            "reports": {"type": "integer"},
                            "boilerplate": {"type": "integer"},
                            "sentences": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "text": {"type": "string"},
                                        "count": {"type": "integer"},
                                        "boilerplate": {"type": "boolean"},
                                        "share": share,
                                        "precedent": {
                                            "type": ["string", "null"],
                                            "enum": ["self", "other", None],
                                        },
                                        "matches": {
                                            "type": "array",
                                            "items": ref("PrecedentMatch"),
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    }
