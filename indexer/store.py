"""The Whoosh index: schema, versioning, the one writer, and snapshots for search.

This is the only module that writes the index. Everything it hands upward is
plain data (dicts, lists, :class:`Snapshot`), never Whoosh objects.

Layout: one Whoosh document per report (``kind="r"``, metadata and outline as
JSON) and one per passage (``kind="p"``). A small ``fazhi.json`` beside the
Whoosh files records the schema and analyzer versions.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as windex
from whoosh.fields import ID, STORED, TEXT, FieldType, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence
from whoosh.index import TOC, LockError
from whoosh.system import pack_uint

from .analysis import (
    ANALYZER_VERSION,
    Analyzed,
    GramTokenizer,
    WordTokenizer,
    analyze,
    fold,
    grams,
    segment,
)
from .errors import IndexLocked, IndexStoreError, SchemaMismatch
from .model import Report

#: Bump when the schema or the way documents are laid out changes.
SCHEMA_VERSION = 2
VERSION_FILE = "fazhi.json"
#: Seconds a writer waits for another indexer to release the lock.
LOCK_TIMEOUT = 30.0
LOCK_NAME = "MAIN_WRITELOCK"

#: Errors Whoosh raises on truncated or garbled index files.
CORRUPTION_ERRORS = (
    TypeError,
    ValueError,
    struct.error,
    pickle.UnpicklingError,
    EOFError,
    KeyError,
    IndexError,
    AttributeError,
    windex.IndexError,
)


class GramField(FieldType):
    """Character grams for exact-search candidates: one posting per distinct gram.

    Accepts the text, or the gram list computed beforehand by
    :func:`indexer.analysis.analyze` (in a worker process).
    """

    def __init__(self) -> None:
        super().__init__(format=Existence(), analyzer=GramTokenizer(), scorable=True)

    def index(self, value, **kwargs):
        gs = value if isinstance(value, (list, tuple, set)) else grams(fold(value))
        return [(g.encode("utf-8"), 1, 1.0, b"") for g in gs]


class WordField(TEXT):
    """jieba words with frequencies (BM25); accepts the text or its word list."""

    def __init__(self) -> None:
        super().__init__(analyzer=WordTokenizer(), phrase=False)

    def index(self, value, **kwargs):
        words = value if isinstance(value, (list, tuple)) else [w for w, _, _ in segment(value)]
        counts = Counter(words)
        return [(w.encode("utf-8"), n, float(n), pack_uint(n)) for w, n in counts.items()]


def make_schema() -> Schema:
    """Two documents per report, sharing ``rid``.

    ``kind="r"``: the metadata and outline as JSON (small, read by the writer).
    ``kind="t"``: the passages (stored), the character grams of the whole text
    (candidates for exact search) and its jieba words (BM25 for ranking).
    """
    return Schema(
        kind=ID(stored=True),
        uid=ID(unique=True, stored=True),
        rid=ID(stored=True),
        meta=STORED,
        passages=STORED,
        grams=GramField(),
        words=WordField(),
    )


def versions() -> dict:
    return {"schema_version": SCHEMA_VERSION, "analyzer_version": ANALYZER_VERSION}


def default_index_dir() -> Path:
    return Path(os.environ.get("FAZHI_INDEX") or ".fazhi/index")


def index_exists(index_dir: str | Path) -> bool:
    index_dir = Path(index_dir)
    return index_dir.is_dir() and windex.exists_in(str(index_dir))


def _check_version(index_dir: Path) -> None:
    vfile = index_dir / VERSION_FILE
    try:
        found = json.loads(vfile.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = None
    if not isinstance(found, dict) or any(found.get(k) != v for k, v in versions().items()):
        raise SchemaMismatch(
            f"index at {index_dir} was built by another version of fazhi "
            f"(found {found}, this version needs {versions()})",
            hint="rebuild it with `fazhi index --rebuild`",
        )


def open_index(index_dir: str | Path):
    """Open an existing index read-only, checking its version and readability."""
    index_dir = Path(index_dir)
    if not index_exists(index_dir):
        raise IndexStoreError(
            f"no index at {index_dir}",
            hint="build one with `fazhi index` (default corpus: corpus/)",
        )
    _check_version(index_dir)
    try:
        ix = windex.open_dir(str(index_dir), readonly=True)
        ix.doc_count_all()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise _corrupt(index_dir, exc) from exc
    return ix


def _corrupt(index_dir: Path, exc: BaseException) -> IndexStoreError:
    return IndexStoreError(
        f"index at {index_dir} is corrupt or unreadable ({type(exc).__name__}: {exc})",
        hint="rebuild it from the corpus with `fazhi index --rebuild`",
    )


# ---------------------------------------------------------------- writing


def report_meta(report: Report, rid: str, path: str) -> dict:
    meta = report.to_dict(passages=False)
    meta.update(id=rid, path=path, sha256=report.sha256, kind=report.kind)
    meta["passage_count"] = len(report.passages)
    return meta


class Writer:
    """Adds and removes reports inside one write session (see :func:`write_session`)."""

    def __init__(self, whoosh_writer, existing: dict[str, dict]) -> None:
        self._w = whoosh_writer
        #: report id → stored metadata of every report in the index
        self.reports: dict[str, dict] = existing

    def add_report(
        self, report: Report, rid: str, path: str, analyzed: Analyzed | None = None
    ) -> None:
        """Add or replace the report ``rid`` (idempotent).

        ``analyzed`` is the report's grams and words if already computed.
        """
        if rid in self.reports:
            self.delete_report(rid)
        meta = report_meta(report, rid, path)
        analyzed = analyzed or analyze(report)
        passages = [[p.id, p.section, p.heading, p.path, p.text] for p in report.passages]
        w = self._w
        w.add_document(kind="r", uid=f"r:{rid}", rid=rid, meta=json.dumps(meta, ensure_ascii=False))
        w.add_document(
            kind="t",
            uid=f"t:{rid}",
            rid=rid,
            passages=passages,
            grams=analyzed.grams,
            words=analyzed.words,
        )
        self.reports[rid] = meta

    def delete_report(self, rid: str) -> None:
        self._w.delete_by_term("rid", rid)
        self.reports.pop(rid, None)


def _read_reports(ix) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with ix.searcher() as s:
        for docnum in s.document_numbers(kind="r"):
            fields = s.stored_fields(docnum)
            out[fields["rid"]] = json.loads(fields["meta"])
    return out


def _create(index_dir: Path):
    index_dir.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(index_dir), make_schema())
    info = dict(versions(), build_id=uuid.uuid4().hex)
    (index_dir / VERSION_FILE).write_text(json.dumps(info), encoding="utf-8")
    return ix


def latest_generation(index_dir: str | Path) -> tuple[str, int]:
    """A token that changes whenever the index is committed or rebuilt."""
    index_dir = Path(index_dir)
    try:
        gen = TOC._latest_generation(FileStorage(str(index_dir), readonly=True), "MAIN")
    except (OSError, ValueError):
        gen = -2
    return (build_id(index_dir), gen)


@contextmanager
def write_session(
    index_dir: str | Path,
    *,
    rebuild: bool = False,
    timeout: float = LOCK_TIMEOUT,
    procs: int = 1,
) -> Iterator[Writer]:
    """The one way to change the index: commit on success, cancel on error.

    With ``rebuild`` the new index is built in a sibling directory and swapped
    in only after it committed, so readers keep the old one until then.
    """
    index_dir = Path(index_dir)
    target = index_dir
    if rebuild or not index_exists(index_dir):
        if rebuild and index_exists(index_dir):
            target = index_dir.with_name(f"{index_dir.name}.rebuild-{os.getpid()}")
            shutil.rmtree(target, ignore_errors=True)
        ix = _create(target)
    else:
        _check_version(index_dir)
        try:
            ix = windex.open_dir(str(index_dir))
        except CORRUPTION_ERRORS as exc:
            raise _corrupt(index_dir, exc) from exc
    try:
        ww = ix.writer(timeout=timeout, delay=0.25, **_writer_options(procs))
    except LockError as exc:
        raise IndexLocked(
            f"index at {index_dir} is locked by another indexer "
            f"(lock {index_dir / LOCK_NAME}, waited {timeout:g}s)",
            hint="wait for the other `fazhi index` to finish, then run again",
        ) from exc
    try:
        try:
            existing = _read_reports(ix) if target == index_dir else {}
        except CORRUPTION_ERRORS as exc:
            raise _corrupt(index_dir, exc) from exc
        writer = Writer(ww, existing)
        yield writer
    except BaseException:
        ww.cancel()
        if target != index_dir:
            shutil.rmtree(target, ignore_errors=True)
        raise
    ww.commit(optimize=False)
    if target != index_dir:
        _swap_in(target, index_dir)


def _writer_options(procs: int) -> dict:
    """Several writer processes for big batches, each writing its own segment."""
    if procs > 1:
        return {"procs": procs, "multisegment": True, "limitmb": 256}
    return {"limitmb": 256}


def _swap_in(new: Path, old: Path) -> None:
    retired = old.with_name(f"{old.name}.old-{os.getpid()}-{int(time.time())}")
    os.rename(old, retired)
    os.rename(new, old)
    shutil.rmtree(retired, ignore_errors=True)


def list_reports(index_dir: str | Path) -> list[dict]:
    """Metadata and outline of every indexed report, sorted by source."""
    ix = open_index(index_dir)
    try:
        reports = _read_reports(ix)
    except CORRUPTION_ERRORS as exc:
        raise _corrupt(Path(index_dir), exc) from exc
    return sorted(reports.values(), key=lambda m: m["source"])


# ---------------------------------------------------------------- snapshots


@dataclass
class SegmentData:
    """What search keeps in memory of one Whoosh segment's live documents.

    Segments never change once written (only deletions are added later), so
    this is read once per segment and reused across commits. Display text is
    not kept: it is read from the stored fields for the passages shown.
    """

    metas: dict[str, tuple[int, dict]] = field(default_factory=dict)  # rid → (docnum, meta)
    rids: list[str] = field(default_factory=list)  # one per text document, local order
    text_local: list[int] = field(default_factory=list)  # local docnum of each text doc
    first: list[int] = field(default_factory=lambda: [0])  # each report's first passage
    concat: str = ""  # folded passages, NUL-separated
    starts: list[int] = field(default_factory=lambda: [0])  # each passage's offset (+ end)
    p_rid: list[str] = field(default_factory=list)
    p_n: list[int] = field(default_factory=list)
    p_section: list[str] = field(default_factory=list)


def segment_id(segreader) -> str:
    return segreader.segment().segment_id()


def read_segment(segreader) -> SegmentData:
    """Read the stored fields of one segment reader's live documents."""
    data = SegmentData()
    parts: list[str] = []
    pos = 0
    for docnum, f in segreader.iter_docs():
        rid = f["rid"]
        if f.get("kind") == "r":
            data.metas[rid] = (docnum, json.loads(f["meta"]))
            continue
        data.rids.append(rid)
        data.text_local.append(docnum)
        for n, section, _heading, _path, text in f["passages"]:
            folded = fold(text)
            parts.append(folded)
            pos += len(folded) + 1
            data.starts.append(pos)
            data.p_rid.append(rid)
            data.p_n.append(n)
            data.p_section.append(section)
        data.first.append(len(data.p_n))
    data.concat = "\x00".join(parts) + "\x00"
    return data


def stored_passages(reader, docnum: int) -> list[list]:
    """The passages ``[n, section, heading, path, text]`` of one report's text document."""
    try:
        return reader.stored_fields(docnum)["passages"]
    except CORRUPTION_ERRORS as exc:
        raise IndexStoreError(f"cannot read report text ({type(exc).__name__}: {exc})") from exc


def build_id(index_dir: str | Path) -> str:
    try:
        return json.loads((Path(index_dir) / VERSION_FILE).read_text(encoding="utf-8"))["build_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def open_reader(ix):
    """A reader on the index's latest commit (the caller closes it)."""
    try:
        return ix.reader()
    except CORRUPTION_ERRORS + (OSError,) as exc:
        raise _corrupt(Path(ix.storage.folder), exc) from exc
