"""The views, one module per resource, each serving its HTML pages and its JSON.

* :mod:`.search` — ``/``, ``/help``, ``/api/search``, ``/api/openapi.json``
* :mod:`.reports` — ``/reports``, ``/report/<id>`` (and its file), ``/api/reports``
* :mod:`.matrix` — ``/matrix``, ``/api/matrix``, ``/api/trend``
* :mod:`.practices` — ``/practices``, ``/api/practices``
* :mod:`.precedents` — ``/report/<id>/precedents``, ``/api/reports/<id>/precedents``
* :mod:`.coverage` — ``/coverage``, ``/api/coverage`` (Art. 25 parts by township)
* :mod:`.check` — ``/check``, ``POST /api/check`` (a draft checked, nothing stored)
"""

from . import check, coverage, matrix, practices, precedents, reports, search

#: every blueprint, in the order the app registers them
BLUEPRINTS = (search.bp, reports.bp, matrix.bp, practices.bp, precedents.bp, coverage.bp,
              check.bp)  # fmt: skip
