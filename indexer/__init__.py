"""fazhi: ingestion, indexing and search of township 法治政府建设 reports.

The public interface is small; everything else is an implementation detail.
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
from .ingest import IndexSummary, index_paths
from .model import SECTION_LABELS, Passage, Report, Section
from .pipeline import load_report
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
