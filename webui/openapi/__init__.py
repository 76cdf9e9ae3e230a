"""The OpenAPI 3.1 description of the JSON API (served at /api/openapi.json).

* :mod:`.search` — search, reports, this description
* :mod:`.analytics` — matrix, trend, practices, precedents
* :mod:`.review` — coverage, the draft check
* :mod:`.common` — shared parameters, schemas and responses
"""

from __future__ import annotations

from . import analytics, review, search
from .common import error_response

API_VERSION = "1.0.0"


def spec() -> dict:
    unavailable = error_response("No usable index (missing, corrupt or another version).")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fazhi search API",
            "version": API_VERSION,
            "description": "Read-only (but for the write-free POST /api/check) search over township reports on 法治政府建设. "
            "The search result is the same JSON that `fazhi search --json` prints.",
        },
        "servers": [{"url": "/"}],
        "paths": {
            **search.paths(unavailable),
            **analytics.paths(unavailable),
            **review.paths(unavailable),
        },
        "components": {"schemas": {**search.schemas(), **analytics.schemas(), **review.schemas()}},
    }
