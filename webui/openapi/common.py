"""Pieces of the OpenAPI description shared by its parts."""

from __future__ import annotations

from indexer.model import PASSAGE_KINDS, REPORT_KINDS, REPORT_LEVELS, SECTION_KEYS
from indexer.search import MODES, SORTS

NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_NUM = {"type": ["number", "null"]}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def filter_param(name: str, description: str, example: str) -> dict:
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


#: how analytics results name a report (indexer.analytics.matrix.report_ref)
REPORT_REF_PROPS = {
    "id": {"type": "string"},
    "title": NULLABLE_STR,
    "township": NULLABLE_STR,
    "county": NULLABLE_STR,
    "province": NULLABLE_STR,
    "year": NULLABLE_INT,
    "date": NULLABLE_STR,
}

META_PROPS = {
    "id": {"type": "string", "description": "Report id (from the file's content hash)."},
    "source": {"type": "string", "description": "The file the report was read from."},
    "title": NULLABLE_STR,
    "issuer": NULLABLE_STR,
    "township": NULLABLE_STR,
    "county": NULLABLE_STR,
    "city": NULLABLE_STR,
    "province": NULLABLE_STR,
    "year": dict(NULLABLE_INT, description="The year reported on (2023 for “2023年度”)."),
    "date": dict(NULLABLE_STR, description="Issue date, ISO YYYY-MM-DD.", format="date"),
    "doc_number": dict(NULLABLE_STR, description="Document number, e.g. 雷高府发〔2022〕61号."),
    "level": {
        "type": ["string", "null"],
        "enum": [*REPORT_LEVELS, None],
        "description": "Whose document: township, county (county-level), city (prefecture), "
        "province, or department.",
    },
    "kind": {
        "type": ["string", "null"],
        "enum": [*REPORT_KINDS, None],
        "description": "What document: annual_report (the annual rule-of-law report), "
        "policy_interpretation (政策解读), work_plan (工作要点, 方案), assessment_plan "
        "(考核方案), disclosure_report (政府信息公开年报) or other.",
    },
    "index_number": dict(NULLABLE_STR, description="索引号 from the page's metadata block."),
    "subject": dict(NULLABLE_STR, description="主题分类 from the page's metadata block."),
    "url": dict(
        NULLABLE_STR,
        description="The report's public web address, from a sidecar NAME.meta.json or the "
        "page's canonical link (null when unknown).",
    ),
}

#: how a report's text was read (listings and report JSON, not search hits)
READING_PROPS = {
    "ocr": {
        "type": ["boolean", "null"],
        "description": "Some of the text was recognised from scanned pages (OCR); null for a "
        "report indexed before fazhi recorded it.",
    },
    "ocr_confidence": dict(
        NULLABLE_NUM,
        description="The recogniser's mean confidence (0–1) over the scanned pages; null "
        "when no page was scanned.",
    ),
}

SECTION = {"type": "string", "enum": list(SECTION_KEYS)}
LEVEL = {"type": "string", "enum": list(REPORT_LEVELS)}
KIND = {"type": "string", "enum": list(REPORT_KINDS)}
PASSAGE_KIND = {
    "type": "string",
    "enum": list(PASSAGE_KINDS),
    "description": "body: a paragraph or item; title; heading; header: a line above the "
    "title or the addressee (版头: issuing body, document number, signer); signature: "
    "the signature block and the record after it (落款, 抄送).",
}


def query_params() -> list[dict]:
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
        filter_param("township", "Only reports of this township.", "美湖镇"),
        filter_param("county", "Only reports of this county.", "德化县"),
        filter_param("year", "Report year YYYY or range YYYY-YYYY.", "2023"),
        filter_param("section", "Only passages of this section (key or label).", "measures"),
        filter_param("province", "Only reports of this province.", "福建省"),
        *report_filter_params(),
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


def report_filter_params() -> list[dict]:
    """The level and kind filters (key or Chinese label)."""
    return [
        filter_param(
            "level",
            "Only reports of this level: " + ", ".join(REPORT_LEVELS) + " (or the label).",
            "township",
        ),
        filter_param(
            "kind",
            "Only documents of this kind: " + ", ".join(REPORT_KINDS) + " (or the label).",
            "annual_report",
        ),
    ]


def json_ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def csv_ok() -> dict:
    return {
        "description": "CSV, UTF-8 with a BOM; cells starting with = + - @ are prefixed with '.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }


def limit_param(description: str) -> dict:
    return {
        "name": "limit",
        "in": "query",
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50},
    }


def download_param(formats: tuple[str, ...] = ("json", "csv", "xlsx")) -> dict:
    """``format``: json, or a download as CSV (UTF-8 with a BOM) or Excel .xlsx."""
    return {
        "name": "format",
        "in": "query",
        "description": "json, or a download: csv (UTF-8 with a BOM, formula-safe) or xlsx "
        "(Excel; no cell a formula or a link). Search results: one row per matching passage "
        "with its citation and link.",
        "schema": {"type": "string", "enum": list(formats), "default": "json"},
    }
