"""The OpenAPI 3.1 description of the JSON API (served at /api/openapi.json)."""

from __future__ import annotations

from indexer.model import SECTION_KEYS
from indexer.search import FACET_LIMIT, MAX_FACET_LIMIT, MAX_PAGE, MAX_PER_PAGE, MODES, SORTS

API_VERSION = "1.0.0"

_NULLABLE_STR = {"type": ["string", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _filter_param(name: str, description: str, example: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": description + " Repeatable; values of one filter are ORed.",
        "required": False,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string"}},
        "example": [example],
    }


_META_PROPS = {
    "id": {"type": "string", "description": "Report id (from the file's content hash)."},
    "source": {"type": "string", "description": "The file the report was read from."},
    "title": _NULLABLE_STR,
    "issuer": _NULLABLE_STR,
    "township": _NULLABLE_STR,
    "county": _NULLABLE_STR,
    "city": _NULLABLE_STR,
    "province": _NULLABLE_STR,
    "year": dict(_NULLABLE_INT, description="The year reported on (2023 for “2023年度”)."),
    "date": dict(_NULLABLE_STR, description="Issue date, ISO YYYY-MM-DD.", format="date"),
    "doc_number": dict(_NULLABLE_STR, description="Document number, e.g. 雷高府发〔2022〕61号."),
}

_SECTION = {"type": "string", "enum": list(SECTION_KEYS)}


def _schemas() -> dict:
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string", "description": "What is wrong."}},
        },
        "Filters": {
            "type": "object",
            "description": "The filters in force (from parameters and from the query text).",
            "properties": {
                "township": {"type": "array", "items": {"type": "string"}},
                "county": {"type": "array", "items": {"type": "string"}},
                "province": {"type": "array", "items": {"type": "string"}},
                "section": {"type": "array", "items": _SECTION},
                "year": {
                    "type": "array",
                    "items": {"type": "string", "description": "YYYY or YYYY-YYYY"},
                },
            },
        },
        "FacetEntry": {
            "type": "object",
            "required": ["value", "count"],
            "properties": {
                "value": {"type": ["string", "integer"]},
                "count": {"type": "integer", "description": "Matching reports."},
                "county": dict(_NULLABLE_STR, description="Township facet only."),
                "label": {"type": "string", "description": "Section facet only."},
            },
        },
        "Facets": {
            "type": "object",
            "description": "Counts of matching reports; each facet is counted within the "
            "other filters.",
            "properties": {
                name: {"type": "array", "items": _ref("FacetEntry")}
                for name in ("township", "year", "section", "province", "county")
            },
        },
        "PassageHit": {
            "type": "object",
            "required": ["id", "section", "label", "heading", "text", "snippet"],
            "properties": {
                "id": {"type": "integer", "description": "1-based; anchor #p<id>."},
                "section": _SECTION,
                "label": {"type": "string"},
                "heading": {"type": "string"},
                "text": {"type": "string"},
                "snippet": {
                    "type": "string",
                    "description": "HTML: escaped text with matches wrapped in <mark>.",
                },
            },
        },
        "ReportHit": {
            "type": "object",
            "required": [*_META_PROPS, "score", "passages"],
            "properties": dict(
                _META_PROPS,
                score={"type": "number"},
                passages={"type": "array", "items": _ref("PassageHit")},
            ),
        },
        "SearchResult": {
            "type": "object",
            "required": [
                "query",
                "mode",
                "filters",
                "total",
                "facets",
                "facets_omitted",
                "reports",
                "page",
                "per_page",
                "sort",
                "took_ms",
            ],
            "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": list(MODES)},
                "filters": _ref("Filters"),
                "total": {
                    "type": "object",
                    "required": ["reports", "passages"],
                    "properties": {
                        "reports": {"type": "integer"},
                        "passages": {"type": "integer"},
                    },
                },
                "facets": _ref("Facets"),
                "facets_omitted": {
                    "type": "object",
                    "description": "Per township, county and province facet: values with "
                    "matching reports beyond `facet_limit` that are not listed.",
                    "properties": {
                        name: {"type": "integer"} for name in ("township", "province", "county")
                    },
                },
                "reports": {"type": "array", "items": _ref("ReportHit")},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "sort": {"type": "string", "enum": list(SORTS)},
                "took_ms": {"type": "number"},
            },
        },
        "Section": {
            "type": "object",
            "properties": {
                "key": _SECTION,
                "label": {"type": "string"},
                "heading": {"type": "string"},
                "level": {"type": "integer"},
                "parent": _NULLABLE_INT,
            },
        },
        "ReportSummary": {
            "type": "object",
            "required": [*_META_PROPS, "sections", "passage_count"],
            "properties": dict(
                _META_PROPS,
                sections={"type": "array", "items": _ref("Section")},
                passage_count={"type": "integer"},
            ),
        },
        "Passage": {
            "type": "object",
            "required": ["id", "section", "label", "heading", "path", "text"],
            "properties": {
                "id": {"type": "integer"},
                "section": _SECTION,
                "label": {"type": "string"},
                "heading": {"type": "string"},
                "path": {"type": "array", "items": {"type": "string"}},
                "text": {"type": "string"},
            },
        },
        "Report": {
            "allOf": [
                _ref("ReportSummary"),
                {
                    "type": "object",
                    "required": ["passages"],
                    "properties": {"passages": {"type": "array", "items": _ref("Passage")}},
                },
            ]
        },
    }


def spec() -> dict:
    unavailable = _error_response("No usable index (missing, corrupt or another version).")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fazhi search API",
            "version": API_VERSION,
            "description": "Read-only search over township reports on 法治政府建设. "
            "The search result is the same JSON that `fazhi search --json` prints.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search passages; results grouped by report, with facets.",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": 'Query: phrases, A OR B, -A, ( … ), "…", and '
                            "field filters such as township:美湖镇 or year:2021-2023. "
                            "At most 500 characters.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": 500},
                            "example": "一支队伍管执法",
                        },
                        _filter_param("township", "Only reports of this township.", "美湖镇"),
                        _filter_param("county", "Only reports of this county.", "德化县"),
                        _filter_param("year", "Report year YYYY or range YYYY-YYYY.", "2023"),
                        _filter_param(
                            "section", "Only passages of this section (key or label).", "plans"
                        ),
                        _filter_param("province", "Only reports of this province.", "福建省"),
                        {
                            "name": "mode",
                            "in": "query",
                            "description": "exact: verbatim strings; words: jieba words, BM25.",
                            "schema": {"type": "string", "enum": list(MODES), "default": "exact"},
                        },
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": list(SORTS),
                                "default": "relevance",
                            },
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PAGE,
                                "default": 1,
                            },
                        },
                        {
                            "name": "per_page",
                            "in": "query",
                            "description": "Reports per page.",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_PER_PAGE,
                                "default": 20,
                            },
                        },
                        {
                            "name": "facet_limit",
                            "in": "query",
                            "description": "Values listed per township, county and province "
                            "facet, most reports first (selected values are always listed).",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_FACET_LIMIT,
                                "default": FACET_LIMIT,
                            },
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The result.",
                            "content": {"application/json": {"schema": _ref("SearchResult")}},
                        },
                        "400": _error_response("Malformed query or parameter."),
                        "503": unavailable,
                    },
                }
            },
            "/api/reports": {
                "get": {
                    "operationId": "listReports",
                    "summary": "Every indexed report with its metadata and outline.",
                    "responses": {
                        "200": {
                            "description": "Reports sorted by source file.",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "array", "items": _ref("ReportSummary")}
                                }
                            },
                        },
                        "503": unavailable,
                    },
                }
            },
            "/api/reports/{id}": {
                "get": {
                    "operationId": "getReport",
                    "summary": "One report: metadata, outline and every passage.",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The report.",
                            "content": {"application/json": {"schema": _ref("Report")}},
                        },
                        "404": _error_response("No report with this id."),
                        "503": unavailable,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description.",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            **_analytics_paths(unavailable),
        },
        "components": {"schemas": {**_schemas(), **_analytics_schemas()}},
    }


# ---------------------------------------------------------------- analytics


def _query_params() -> list[dict]:
    """The parameters of /api/search without paging."""
    return [
        {
            "name": "q",
            "in": "query",
            "required": True,
            "description": "Query, as for /api/search.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 500},
            "example": "一支队伍管执法",
        },
        _filter_param("township", "Only reports of this township.", "美湖镇"),
        _filter_param("county", "Only reports of this county.", "德化县"),
        _filter_param("year", "Report year YYYY or range YYYY-YYYY.", "2023"),
        _filter_param("section", "Only passages of this section (key or label).", "measures"),
        _filter_param("province", "Only reports of this province.", "福建省"),
        {
            "name": "mode",
            "in": "query",
            "schema": {"type": "string", "enum": list(MODES), "default": "exact"},
        },
        {
            "name": "sort",
            "in": "query",
            "description": "Accepted for symmetry with /api/search; has no effect.",
            "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"},
        },
    ]


def _json_ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _csv_ok() -> dict:
    return {
        "description": "CSV, UTF-8 with a BOM; cells starting with = + - @ are prefixed with '.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }


def _limit_param(description: str) -> dict:
    return {
        "name": "limit",
        "in": "query",
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
    }


def _analytics_paths(unavailable: dict) -> dict:
    bad = _error_response("Malformed query or parameter.")
    return {
        "/api/matrix": {
            "get": {
                "operationId": "matrix",
                "summary": "Township × year counts of matching passages, coverage and trend.",
                "parameters": [
                    *_query_params(),
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The matrix (JSON, or CSV with format=csv).",
                        "content": {
                            "application/json": {"schema": _ref("Matrix")},
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
                "parameters": _query_params(),
                "responses": {"200": _csv_ok(), "400": bad, "503": unavailable},
            }
        },
        "/api/trend": {
            "get": {
                "operationId": "trend",
                "summary": "Per report year, the share of indexed reports that match.",
                "parameters": _query_params(),
                "responses": {
                    "200": _json_ok("The trend.", _ref("Trend")),
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
                    {**_query_params()[0], "required": False},
                    *_query_params()[1:6],
                    _limit_param("Practices listed for a query."),
                ],
                "responses": {
                    "200": _json_ok(
                        "A list of Practice (catalogue) or a PracticeFacet (with q).",
                        {
                            "oneOf": [
                                {"type": "array", "items": _ref("Practice")},
                                _ref("PracticeFacet"),
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
                        **_limit_param("Other reports listed per sentence (the count covers all)."),
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 5},
                    },
                ],
                "responses": {
                    "200": _json_ok("The precedents.", _ref("Precedents")),
                    "400": bad,
                    "404": _error_response("No report with this id."),
                    "503": unavailable,
                },
            }
        },
    }


def _analytics_schemas() -> dict:
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
                "filters": _ref("Filters"),
                "trend": {"type": "array", "items": _ref("TrendPoint")},
            },
        },
        "Matrix": {
            "type": "object",
            "required": ["query", "mode", "filters", "years", "rows", "coverage", "total", "trend"],
            "properties": {
                "query": {"type": "string"},
                "mode": {"type": "string", "enum": list(MODES)},
                "filters": _ref("Filters"),
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
                            "township": _NULLABLE_STR,
                            "county": _NULLABLE_STR,
                            "province": _NULLABLE_STR,
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
                "trend": {"type": "array", "items": _ref("TrendPoint")},
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
                "filters": _ref("Filters"),
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
                "id": {"type": "string"},
                "title": _NULLABLE_STR,
                "township": _NULLABLE_STR,
                "county": _NULLABLE_STR,
                "province": _NULLABLE_STR,
                "year": year,
                "date": _NULLABLE_STR,
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
                "id": {"type": "string"},
                "title": _NULLABLE_STR,
                "township": _NULLABLE_STR,
                "county": _NULLABLE_STR,
                "year": year,
                "date": _NULLABLE_STR,
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
                                            "items": _ref("PrecedentMatch"),
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
