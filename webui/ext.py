"""The resources of one app: its search engine and its analytics, opened once per app.

``init_app(app)`` creates them (nothing is opened at import time); views get
them with :func:`engine` and :func:`analytics`, never from the factory. The
engine notices a re-indexed corpus by itself, so the server never needs a
restart.
"""

from __future__ import annotations

from flask import Flask, current_app

from indexer.analytics import Analytics
from indexer.search import Engine

ENGINE = "fazhi"
ANALYTICS = "fazhi.analytics"


def init_app(app: Flask) -> None:
    """Create the app's engine (over ``INDEX_DIR``) and its analytics."""
    eng = Engine(app.config["INDEX_DIR"], deadline=app.config["SEARCH_TIMEOUT"])
    app.extensions[ENGINE] = eng
    app.extensions[ANALYTICS] = Analytics(
        eng, rebuild_spacing=app.config["ANALYTICS_REBUILD_SPACING"]
    )


def engine() -> Engine:
    """The current app's search engine."""
    return current_app.extensions[ENGINE]


def analytics() -> Analytics:
    """The current app's analytics (matrix, practices, precedents)."""
    return current_app.extensions[ANALYTICS]


def warm_up(app: Flask) -> None:
    """Open the index and load the word segmenter before serving.

    Otherwise the first requests pay for it (seconds, enough to run out of
    their time budget when several arrive at once).
    """
    app.extensions[ENGINE].warm_up()


def prepare_analytics(app: Flask) -> None:
    """Start building the practice catalogue and the sentence index in the background
    (see :meth:`indexer.analytics.Analytics.prepare`): the server does at start."""
    app.extensions[ANALYTICS].prepare()
