"""The web UI and JSON API: a read-only Flask app over one index directory.

``create_app(config)`` builds the app and only wires it: the engine and the
analytics of the app (:mod:`.ext`), the views (:mod:`.views`, one module per
resource), the error handlers and security headers (:mod:`.errors`). Nothing
is opened at import time. The engine notices a re-indexed corpus by itself,
so the server never needs a restart. When a new
index generation cannot be read, the engine logs why and keeps answering from
the last good one; only with no readable index at all do requests get 503.
Every search has a time budget (``SEARCH_TIMEOUT`` seconds): past it the
request gets 503 with a one-line message instead of holding a worker.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask.templating import Environment as TemplateEnvironment

from indexer.index import default_index_dir
from indexer.model import PASSAGE_KINDS

from . import errors, ext, urls
from .errors import SECURITY_HEADERS

#: Seconds one search (or analytics match) may take before it is stopped (503).
SEARCH_TIMEOUT = 5.0


class _Templates(TemplateEnvironment):
    """Jinja's environment, with ``x.name`` on a dict looking up the key first.

    Jinja tries the attribute first and the key only after the attribute
    lookup has failed with an exception; the pages pass dicts, and a search
    page looks up a few thousand keys, so this halves its rendering time. A
    key never hides a method the templates call (``.items()`` on dicts without
    an ``items`` key).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class _App(Flask):
    jinja_environment = _Templates


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app.

    Config: ``INDEX_DIR`` (default: ``$FAZHI_INDEX`` or ``.fazhi/index``),
    ``SEARCH_TIMEOUT`` (seconds per search, default 5; None for no limit),
    ``ANALYTICS_REBUILD_SPACING`` (default 4: after a commit, the practice
    catalogue and the sentence index are rebuilt in the background no sooner
    than 4 times their last build's duration after it ended; until then the
    previous ones are served), ``BASE_URL`` (default: ``$FAZHI_BASE_URL``; the
    public URL of the app, such as ``https://fazhi.example.gov.cn``, from which
    permalinks in citations are built: never from the request's ``Host``
    header, see :func:`webui.urls.public_url`). An invalid ``BASE_URL`` raises
    ValueError.
    """
    app = _App(__name__)
    app.config.from_mapping(
        INDEX_DIR=str(default_index_dir()),
        PER_PAGE=20,
        SEARCH_TIMEOUT=SEARCH_TIMEOUT,
        ANALYTICS_REBUILD_SPACING=4.0,
        BASE_URL=os.environ.get("FAZHI_BASE_URL"),
    )
    if config:
        app.config.update(config)
    app.config["BASE_URL"] = urls.check_base_url(app.config["BASE_URL"])
    ext.init_app(app)
    from .views import BLUEPRINTS, search

    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    app.jinja_env.globals.update(
        section_labels=search.SECTION_LABELS,
        section_short=search.SECTION_SHORT,
        passage_kinds=PASSAGE_KINDS,
    )
    errors.init_app(app)
    return app


__all__ = ["SEARCH_TIMEOUT", "SECURITY_HEADERS", "create_app"]
