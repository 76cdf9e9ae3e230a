"""The index: the only package that imports Whoosh, and the only one that writes.

Everything it hands upward is plain data: report metadata as columns
(:class:`~indexer.index.metatable.MetaTable`, read as mappings),
:class:`Snapshot` segments as memory-mapped arrays
(:class:`~indexer.index.segfile.SegmentData`), stored passages as lists.

* :mod:`.schema` — the Whoosh schema, its version, the pickled tokenizer
* :mod:`.storage` — files, generations, corruption, atomic swaps
* :mod:`.lock` — the one-writer ``flock``
* :mod:`.leftovers` — what an interrupted indexer left, found and removed
* :mod:`.writer` — write sessions, the writer, segment builders; :mod:`.known` —
  the reports already indexed, looked up by the files a session is given
* :mod:`.segfile`, :mod:`.grams` — each segment's search data file and its gram index;
  :mod:`.metatable` — its reports' metadata as columns
* :mod:`.snapshot` — one generation, read-only, for search
* :mod:`.verify` — read everything, list what is wrong (``fazhi check``)

Failure model (the index is derived data: it can always be rebuilt from the
corpus, and ``fazhi check`` says when it should be): a commit writes new
segment files, then a new TOC that is renamed into place, so a writer killed
at any point leaves the old or the new generation; a new index is built in
``DIR.rebuild-PID`` and exchanged with ``DIR`` atomically once committed;
one writer at a time holds an ``flock`` that the kernel drops when it dies.
The segment data files are written once, before the commit that lists their
segment, and never changed: readers map them safely.
"""

from .leftovers import leftovers
from .lock import LOCK_NAME, LOCK_TIMEOUT, is_locked
from .schema import SCHEMA_VERSION, VERSION_FILE, versions
from .segfile import SegmentData, SegmentWording, with_outline
from .snapshot import Snapshot, SnapshotSegment, check_readable, list_reports
from .storage import (
    FAILED_FILE,
    default_index_dir,
    index_exists,
    latest_generation,
    read_failed,
)
from .verify import Verification, verify
from .writer import SegmentBuilder, Writer, write_session

__all__ = [
    "FAILED_FILE",
    "LOCK_NAME",
    "LOCK_TIMEOUT",
    "SCHEMA_VERSION",
    "VERSION_FILE",
    "SegmentBuilder",
    "SegmentData",
    "SegmentWording",
    "Snapshot",
    "SnapshotSegment",
    "Verification",
    "Writer",
    "check_readable",
    "default_index_dir",
    "index_exists",
    "is_locked",
    "latest_generation",
    "leftovers",
    "list_reports",
    "read_failed",
    "verify",
    "versions",
    "with_outline",
    "write_session",
]
