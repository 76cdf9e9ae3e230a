"""The search and report endpoints of the OpenAPI description."""

from __future__ import annotations

from indexer.search import FACET_LIMIT, MAX_FACET_LIMIT, MAX_PAGE, MAX_PER_PAGE, MODES, SORTS

from .common import (
    KIND,
    LEVEL,
    META_PROPS,
    NULLABLE_INT,
    NULLABLE_STR,
    PASSAGE_KIND,
    READING_PROPS,
    REPORT_REF_PROPS,
    SECTION,
    download_param,
    error_response,
    filter_param,
    ref,
    report_filter_params,
)


def schemas() -> dict:
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
                "section": {"type": "array", "items": SECTION},
                "level": {"type": "array", "items": LEVEL},
                "kind": {"type": "array", "items": KIND},
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
                "county": dict(NULLABLE_STR, description="Township facet only."),
                "label": {
                    "type": "string",
                    "description": "Section, level and kind facets: the Chinese label.",
                },
            },
        },
        "Facets": {
            "type": "object",
            "description": "Counts of matching reports; each facet is counted within the "
            "other filters.",
            "properties": {
                name: {"type": "array", "items": ref("FacetEntry")}
                for name in ("township", "year", "section", "province", "county", "level", "kind")
            },
        },
        "PassageHit": {
            "type": "object",
            "required": ["id", "section", "label", "heading", "text", "snippet", "kind"],
            "properties": {
                "id": {"type": "integer", "description": "1-based; anchor #p<id>."},
                "section": SECTION,
                "label": {"type": "string"},
                "heading": {"type": "string"},
                "text": {"type": "string"},
                "snippet": {
                    "type": "string",
                    "description": "HTML: escaped text with matches wrapped in <mark>.",
                },
                "kind": PASSAGE_KIND,
            },
        },
        "ReportHit": {
            "type": "object",
            "required": [*META_PROPS, "score", "passages"],
            "properties": dict(
                META_PROPS,
                score={"type": "number"},
                passages={"type": "array", "items": ref("PassageHit")},
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
                "filters": ref("Filters"),
                "total": {
                    "type": "object",
                    "required": ["reports", "passages"],
                    "properties": {
                        "reports": {"type": "integer"},
                        "passages": {"type": "integer"},
                    },
                },
                "facets": ref("Facets"),
                "facets_omitted": {
                    "type": "object",
                    "description": "Per township, county and province facet: values with "
                    "matching reports beyond `facet_limit` that are not listed.",
                    "properties": {
                        name: {"type": "integer"} for name in ("township", "province", "county")
                    },
                },
                "reports": {"type": "array", "items": ref("ReportHit")},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "sort": {"type": "string", "enum": list(SORTS)},
                "took_ms": {"type": "number"},
            },
        },
        "Section": {
            "type": "object",
            "properties": {
                "key": SECTION,
                "label": {"type": "string"},
                "heading": {"type": "string"},
                "level": {"type": "integer"},
                "parent": NULLABLE_INT,
            },
        },
        "ReportSummary": {
            "type": "object",
            "required": [*META_PROPS, *READING_PROPS, "sections", "passage_count", "copy"],
            "properties": dict(
                META_PROPS,
                **READING_PROPS,
                sections={"type": "array", "items": ref("Section")},
                passage_count={"type": "integer"},
                copy={"oneOf": [ref("CopyFigures"), {"type": "null"}]},
            ),
        },
        "CopyFigures": {
            "type": "object",
            "description": "How much of the report's wording its closest other report holds "
            "(null while the sentence index does not know the report).",
            "required": ["sentences", "shared", "share", "chars_share", "source", "copied"],
            "properties": {
                "sentences": {"type": "integer", "description": "Sentences compared."},
                "shared": {"type": "integer", "description": "Of them, found in other reports."},
                "share": {"type": "number", "description": "Share held by the closest report."},
                "chars_share": {"type": "number"},
                "copied": {
                    "type": "boolean",
                    "description": "The closest report was issued earlier and holds at least half.",
                },
                "source": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["id", "sentences", "earlier"],
                            "properties": {
                                **REPORT_REF_PROPS,
                                "sentences": {"type": "integer"},
                                "earlier": {"type": "boolean"},
                            },
                        },
                        {"type": "null"},
                    ]
                },
            },
        },
        "Passage": {
            "type": "object",
            "required": ["id", "section", "label", "heading", "path", "text", "kind"],
            "properties": {
                "id": {"type": "integer"},
                "section": SECTION,
                "label": {"type": "string"},
                "heading": {"type": "string"},
                "path": {"type": "array", "items": {"type": "string"}},
                "text": {"type": "string"},
                "kind": PASSAGE_KIND,
            },
        },
        "Report": {
            "allOf": [
                ref("ReportSummary"),
                {
                    "type": "object",
                    "required": ["passages"],
                    "properties": {"passages": {"type": "array", "items": ref("Passage")}},
                },
            ]
        },
    }


def paths(unavailable: dict) -> dict:
    return {
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
                    filter_param("township", "Only reports of this township.", "美湖镇"),
                    filter_param("county", "Only reports of this county.", "德化县"),
                    filter_param("year", "Report year YYYY or range YYYY-YYYY.", "2023"),
                    filter_param(
                        "section", "Only passages of this section (key or label).", "plans"
                    ),
                    filter_param("province", "Only reports of this province.", "福建省"),
                    *report_filter_params(),
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
                    download_param(),
                ],
                "responses": {
                    "200": {
                        "description": "The result.",
                        "content": {"application/json": {"schema": ref("SearchResult")}},
                    },
                    "400": error_response("Malformed query or parameter."),
                    "503": unavailable,
                },
            }
        },
        "/api/reports": {
            "get": {
                "operationId": "listReports",
                "summary": "Every indexed report with its metadata, outline and copy figures.",
                "parameters": [download_param()],
                "responses": {
                    "200": {
                        "description": "Reports sorted by source file.",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": ref("ReportSummary")}
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
                        "content": {"application/json": {"schema": ref("Report")}},
                    },
                    "404": error_response("No report with this id."),
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
    }
