"""Where the index lives and how it is opened: files, generations, corruption, swaps.

A commit writes new segment files, then a new TOC that is renamed into
place, so readers see the old or the new generation. A new index (a
rebuild, or none yet) is built in a sibling directory and exchanged with the
index directory in one atomic ``renameat2(RENAME_EXCHANGE)``.

Readers never memory-map Whoosh's files: one truncated or replaced under a
running server gives a Python error (reported as a corrupt index), not a
``SIGBUS`` that kills the process. Whoosh raises all sorts of exceptions on
truncated or garbled files; :data:`CORRUPTION_ERRORS` lists them and
:func:`corrupt` turns one into the user's message.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import pickle
import re
import shutil
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage

from .. import names
from ..errors import IndexStoreError
from .schema import build_id, check_version

#: Files that failed to index: ``[{"path", "source", "sha256", "reason"}]``.
FAILED_FILE = "failed.json"
INDEX_NAME = "MAIN"
#: Attempts to open an index that a concurrent commit keeps changing.
OPEN_ATTEMPTS = 4

#: Errors Whoosh raises on truncated or garbled index files (ImportError: a TOC
#: pickled by another layout of fazhi's classes)
CORRUPTION_ERRORS = (
    TypeError,
    ValueError,
    struct.error,
    pickle.UnpicklingError,
    EOFError,
    KeyError,
    IndexError,
    AttributeError,
    AssertionError,
    NameError,
    OverflowError,
    ImportError,
    zlib.error,
    windex.IndexError,
)

TOC_RE = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")


def default_index_dir() -> Path:
    return Path(os.environ.get("FAZHI_INDEX") or ".fazhi/index")


def toc_generation(index_dir: Path) -> int:
    """The newest TOC generation in ``index_dir`` (-1 if none), without reading it."""
    try:
        names = os.listdir(index_dir)
    except OSError:
        return -1
    return max((int(m.group(1)) for n in names if (m := TOC_RE.match(n))), default=-1)


def index_exists(index_dir: str | Path) -> bool:
    """True if ``index_dir`` holds an index (a TOC file), readable or not."""
    return toc_generation(Path(index_dir)) >= 0


class Storage(FileStorage):
    """A FileStorage that can close what it opened when reading an index fails.

    Whoosh leaves the file open when a truncated TOC or segment makes it
    raise; :meth:`guard` closes such files (and re-raises).
    """

    def __init__(self, path: str, *, readonly: bool, mmap: bool | None = None) -> None:
        # no mmap for long-lived readers: a file truncated under one must raise, not SIGBUS
        mmap = not readonly if mmap is None else mmap
        super().__init__(path, supports_mmap=mmap, readonly=readonly)
        self._local = threading.local()  # files opened under a guard, per thread

    def open_file(self, name, *args, **kwargs):
        f = super().open_file(name, *args, **kwargs)
        opened = getattr(self._local, "opened", None)
        if opened is not None:
            opened.append(f)
        return f

    @contextmanager
    def guard(self) -> Iterator[None]:
        if getattr(self._local, "opened", None) is not None:  # nested: the outer guard closes
            yield
            return
        self._local.opened = opened = []
        try:
            yield
        except BaseException:
            for f in opened:
                try:
                    f.close()
                except Exception:  # noqa: BLE001, S110 - already failing; close what we can
                    pass
            raise
        finally:
            self._local.opened = None


def read_storage(index_dir: Path) -> Storage:
    return Storage(str(index_dir), readonly=True)


def open_ix(storage: Storage):
    """The Whoosh index in ``storage`` (its TOC read), files closed if that fails."""
    with storage.guard():
        return windex.FileIndex(storage, indexname=INDEX_NAME)


def open_index(index_dir: str | Path):
    """Open an existing index read-only, checking its version and that it can be read.

    The TOC and every segment's directory are read (a truncated file is
    reported here); a commit that lands meanwhile makes it try again.
    """
    index_dir = Path(index_dir)
    for attempt in range(OPEN_ATTEMPTS):
        token = latest_generation(index_dir)
        try:
            return _open_checked(index_dir)
        except IndexStoreError:
            if attempt + 1 < OPEN_ATTEMPTS and latest_generation(index_dir) != token:
                continue  # a writer committed or swapped in a rebuild meanwhile
            raise
    raise AssertionError("unreachable")


def _open_checked(index_dir: Path):
    if not index_exists(index_dir):
        raise IndexStoreError(
            f"no index at {index_dir}",
            hint="build one with `fazhi index` (default corpus: corpus/)",
        )
    check_version(index_dir)
    try:
        storage = read_storage(index_dir)
        ix = open_ix(storage)
        open_reader(ix).close()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise corrupt(index_dir, exc) from exc
    return ix


def open_reader(ix):
    """A Whoosh reader of the index's latest commit, opened segment by segment.

    When a segment cannot be opened (a commit removed it meanwhile, a file is
    truncated), the readers already opened are closed and the error raised.
    Whoosh's own ``reader()`` retries such a failure and leaves the readers it
    had opened to the garbage collector, open files and all.
    """
    from whoosh.reading import EmptyReader, MultiReader, SegmentReader

    storage = ix.storage
    with storage.guard() if isinstance(storage, Storage) else _unguarded():
        toc = ix._read_toc()
        readers = []
        try:
            for segment in toc.segments:
                readers.append(
                    SegmentReader(storage, toc.schema, segment, generation=toc.generation)
                )
        except BaseException:
            for reader in readers:
                reader.close()
            raise
    if not readers:
        return EmptyReader(toc.schema)
    if len(readers) == 1:
        return readers[0]
    return MultiReader(readers, generation=toc.generation)


@contextmanager
def _unguarded() -> Iterator[None]:
    yield


def corrupt(index_dir: Path, exc: BaseException) -> IndexStoreError:
    detail = " ".join(str(exc).split())[:160]
    return IndexStoreError(
        f"index at {index_dir} is corrupt or unreadable ({type(exc).__name__}: {detail})",
        hint="rebuild it from the corpus with `fazhi index --rebuild`",
    )


def read_failed(index_dir: str | Path) -> dict[str, dict]:
    """The files recorded as failed by the last runs: absolute path → record."""
    try:
        items = json.loads((Path(index_dir) / FAILED_FILE).read_text(encoding="utf-8"))
        return {str(x["path"]): dict(x) for x in items}
    except (OSError, ValueError, TypeError, KeyError):
        return {}


def write_json(path: Path, obj) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(names.dumps(obj), encoding="utf-8")
    os.replace(tmp, path)


def latest_generation(index_dir: str | Path) -> tuple[str, int]:
    """A token that changes whenever the index is committed or rebuilt."""
    index_dir = Path(index_dir)
    return (build_id(index_dir), toc_generation(index_dir))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    path_t, int_t = ctypes.c_char_p, ctypes.c_int
    renameat2.argtypes = [int_t, path_t, int_t, path_t, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(new: Path, index_dir: Path) -> None:
    """Put the committed index in ``new`` at ``index_dir``; remove the old one."""
    if index_dir.exists() and _exchange(new, index_dir):
        shutil.rmtree(new, ignore_errors=True)  # now holds the old index
        return
    # no atomic exchange here: two renames, with a moment without an index
    retired = index_dir.with_name(f"{index_dir.name}.old-{os.getpid()}")
    if index_dir.exists():
        os.rename(index_dir, retired)
    os.rename(new, index_dir)
    shutil.rmtree(retired, ignore_errors=True)
