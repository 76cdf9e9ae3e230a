"""Search: queries, their evaluation, results, highlights, and the engine that serves them.

* :mod:`.query` — the query language: a small hand-written grammar, bounded
* :mod:`.view` — one index generation as flat arrays (columns, passages, grams)
* :mod:`.evaluate` — matching passages as boolean masks; BM25 for words mode
* :mod:`.results` — facets, ranking, the JSON of a page of reports
* :mod:`.highlight` — what a query marks, and marked HTML (pages and API alike)
* :mod:`.budget` — a search's processor-time budget
* :mod:`.engine` — :class:`Engine`, which answers from the newest readable generation
"""

from .budget import UNLIMITED, Deadline
from .engine import MAX_PAGE, MAX_PER_PAGE, MODES, SORTS, Engine
from .query import FACET_LIMIT, FILTER_FIELDS, MAX_FACET_LIMIT

__all__ = [
    "FACET_LIMIT",
    "FILTER_FIELDS",
    "MAX_FACET_LIMIT",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "MODES",
    "SORTS",
    "UNLIMITED",
    "Deadline",
    "Engine",
]
