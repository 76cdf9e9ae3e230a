"""Ingestion: files → structured reports → the index.

* :mod:`.discovery` — which files under the given paths are read, and why the
  others are skipped
* :mod:`.extract` — one file → its raw text, by format (:mod:`.textfile`,
  :mod:`.pdf` with its sandboxed :mod:`.pdfworker` and, for scanned pages,
  :mod:`.ocr` with :mod:`.ocrworker`; :mod:`.word`; :mod:`.legacydoc` with
  :mod:`.docworker` for .doc/.wps; :mod:`.ofd`; :mod:`.webpage`), within the
  caps of :mod:`.limits` (zip packages through :mod:`.zipread`)
* :mod:`.normalize` — raw text → clean paragraphs (line joins, page furniture)
* :mod:`.structure` — clean text → :class:`~indexer.model.Report`: metadata,
  outline and passages, with places from :mod:`.gazetteer`
* :mod:`.pipeline` — the three stages for one file (or for pasted text), with the
  report's public address from :mod:`.source_url`
* :mod:`.run` — discover files, parse them (in parallel), write the index
* :mod:`.check` — verify an index against its corpus (``fazhi check``)
"""

from .pipeline import file_sha256, load_report, report_from_text
from .run import IndexSummary, discover, index_paths

__all__ = [
    "IndexSummary",
    "discover",
    "file_sha256",
    "index_paths",
    "load_report",
    "report_from_text",
]
