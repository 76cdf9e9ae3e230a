"""The reviewers' endpoints of the OpenAPI description: coverage, draft check, downloads."""

from __future__ import annotations

from indexer.analytics import PARTS

from .common import NULLABLE_STR, REPORT_REF_PROPS, error_response, filter_param, ref

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def format_param(formats: list[str]) -> dict:
    return {
        "name": "format",
        "in": "query",
        "description": "json, or a download: csv (UTF-8 with a BOM) or xlsx (Excel).",
        "schema": {"type": "string", "enum": formats, "default": "json"},
    }


def _table(description: str, schema: dict) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "text/csv": {"schema": {"type": "string"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }


def paths(unavailable: dict) -> dict:
    bad = error_response("Malformed parameter.")
    refused = {
        "description": "The draft was refused; `message_zh` says why in Chinese.",
        "content": {"application/json": {"schema": ref("DraftError")}},
    }
    return {
        "/api/coverage": {
            "get": {
                "operationId": "coverage",
                "summary": "The five parts of Art. 25 in each report, by township and year.",
                "parameters": [
                    filter_param("township", "Only reports of this township.", "美湖镇"),
                    filter_param("county", "Only reports of this county.", "德化县"),
                    filter_param("year", "Report year YYYY or range YYYY-YYYY.", "2023"),
                    filter_param("province", "Only reports of this province.", "福建省"),
                    filter_param(
                        "level",
                        "Only reports of this level (township, county, city, province, "
                        "department).",
                        "township",
                    ),
                    filter_param(
                        "kind", "Only documents of this kind (e.g. annual_report).", "annual_report"
                    ),
                    format_param(["json", "csv", "xlsx"]),
                ],
                "responses": {
                    "200": _table("The coverage table.", ref("Coverage")),
                    "400": bad,
                    "503": unavailable,
                },
            }
        },
        "/api/check": {
            "post": {
                "operationId": "checkDraft",
                "summary": "Check a draft report (nothing is stored): shared wording, sources, parts.",
                "parameters": [format_param(["json", "html", "csv", "xlsx"])],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "text": {"type": "string", "maxLength": 200000},
                                    "file": {"type": "string", "format": "binary"},
                                    "format": {"type": "string"},
                                },
                            }
                        },
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "text": {"type": "string"},
                                    "format": {"type": "string"},
                                },
                            }
                        },
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {"text": {"type": "string"}},
                            }
                        },
                    },
                },
                "responses": {
                    "200": _table("The check (format=html: the result page).", ref("DraftCheck")),
                    "400": refused,
                    "413": refused,
                    "415": refused,
                    "422": refused,
                    "503": unavailable,
                },
            }
        },
    }


def schemas() -> dict:
    part = {
        "type": "object",
        "required": ["key", "label", "present", "how", "passages"],
        "properties": {
            "key": {"type": "string", "enum": list(PARTS)},
            "label": {"type": "string"},
            "present": {"type": "boolean"},
            "how": {"enum": ["heading", "content", None]},
            "passages": {"type": "array", "items": {"type": "integer"}},
            "heading": NULLABLE_STR,
        },
    }
    cell = {
        "type": "object",
        "required": ["key", "present", "how", "passages"],
        "properties": {
            k: v
            for k, v in part["properties"].items()
            if k in ("key", "present", "how", "passages")
        },
    }
    return {
        "Coverage": {
            "type": "object",
            "required": ["filters", "parts", "years", "rows", "missing", "total"],
            "properties": {
                "filters": ref("Filters"),
                "parts": {"type": "array", "items": {"type": "object"}},
                "years": {"type": "array", "items": {"type": "integer"}},
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "township", "county", "year", "parts", "complete"],
                        "properties": {
                            **REPORT_REF_PROPS,
                            "parts": {"type": "array", "items": cell},
                            "present": {"type": "integer"},
                            "complete": {"type": "boolean"},
                        },
                    },
                },
                "missing": {"type": "array", "items": {"type": "object"}},
                "total": {"type": "object"},
            },
        },
        "DraftCheck": {
            "type": "object",
            "required": [
                "sentences",
                "shared",
                "boilerplate",
                "overlap",
                "sources",
                "parts",
                "passages",
            ],  # fmt: skip
            "properties": {
                "sentences": {"type": "integer", "description": "Sentences compared."},
                "shared": {"type": "integer"},
                "boilerplate": {"type": "integer"},
                "new": {"type": "integer"},
                "overlap": {
                    "type": "number",
                    "description": "Share of the draft's characters found in other reports.",
                },
                "sources": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": [
                            "id",
                            "title",
                            "township",
                            "county",
                            "year",
                            "date",
                            "sentences",
                            "share",
                        ],  # fmt: skip
                        "properties": {
                            **REPORT_REF_PROPS,
                            "sentences": {"type": "integer"},
                            "chars": {"type": "integer"},
                            "share": {"type": "number"},
                        },
                    },
                },
                "parts": {"type": "array", "items": part},
                "passages": {"type": "array", "items": {"type": "object"}},
                "complete": {"type": "boolean"},
            },
        },
        "DraftError": {
            "type": "object",
            "required": ["error", "message_zh"],
            "properties": {"error": {"type": "string"}, "message_zh": {"type": "string"}},
        },
    }
