"""fazhi: ingestion, indexing and search of township 法治政府建设 reports.

The public interface is small; everything else is an implementation detail.
The packages follow the pipeline: :mod:`indexer.ingest` (files → reports),
:mod:`indexer.index` (the only one that imports Whoosh), :mod:`indexer.search`,
:mod:`indexer.analytics`, and the command line :mod:`indexer.cli`;
:mod:`indexer.text` (folding and words) and :mod:`indexer.model` are shared.
"""

from .errors import (
    ExtractionError,
    FazhiError,
    IndexLocked,
    IndexStoreError,
    QueryError,
    SchemaMismatch,
    SearchTimeout,
    UnsupportedFormat,
)
from .ingest import IndexSummary, index_paths, load_report
from .model import SECTION_LABELS, Passage, Report, Section
from .search import Engine

__all__ = [
    "SECTION_LABELS",
    "Engine",
    "ExtractionError",
    "FazhiError",
    "IndexLocked",
    "IndexStoreError",
    "IndexSummary",
    "Passage",
    "QueryError",
    "Report",
    "SchemaMismatch",
    "SearchTimeout",
    "Section",
    "UnsupportedFormat",
    "index_paths",
    "load_report",
]
