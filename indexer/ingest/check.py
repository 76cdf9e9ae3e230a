"""Verify an index against its corpus, and say how to repair it (``fazhi check``).

The index is derived data: whatever went wrong, ``fazhi index`` can bring it
back from the corpus. This module finds out whether it has to and which run
does it:

* the index itself: every stored field and posting of every segment is read
  (a truncated or garbled file is found), and each report has exactly one
  metadata and one text document with the same number of passages
  (:func:`indexer.index.verify`) — repaired by ``fazhi index --rebuild``;
* the corpus: every file under the given paths is indexed with its current
  content hash (else ``fazhi index``), and no indexed report's file is gone
  (else ``fazhi index --prune``). A file the last run could not read is a
  note, not a problem: ``fazhi index`` lists it with its reason every time.

Leftovers of an interrupted indexer (a ``DIR.rebuild-*`` directory, segment
files no commit refers to) never change what searches return; they are
listed as notes and removed by the next ``fazhi index``.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import index
from .pipeline import file_sha256
from .run import discover


@dataclass
class Problem:
    #: corrupt | no-index | missing | changed | gone | unreadable
    kind: str
    message: str
    file: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "file": self.file, "message": self.message}


@dataclass
class CheckResult:
    index_dir: str
    corpus: list[str]
    reports: int = 0
    files: int = 0
    segments: int = 0
    documents: int = 0
    postings: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the command that repairs every problem found (None when healthy)
    repair: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        where = ", ".join(self.corpus)
        if self.ok:
            return (
                f"ok: the index at {self.index_dir} is healthy: {_n(self.reports, 'report')}, "
                f"every file of {where} indexed ({_n(self.segments, 'segment')}, "
                f"{_n(self.documents, 'document')} and {_n(self.postings, 'posting')} read)"
            )
        return (
            f"{_n(len(self.problems), 'problem')} in the index at {self.index_dir} "
            f"({_n(self.reports, 'report')}; {_n(self.files, 'file')} in {where}): "
            f"repair with `{self.repair}`"
        )

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "index": self.index_dir,
            "corpus": self.corpus,
            "reports": self.reports,
            "files": self.files,
            "segments": self.segments,
            "documents": self.documents,
            "postings": self.postings,
            "problems": [p.to_json() for p in self.problems],
            "notes": self.notes,
            "repair": self.repair,
            "summary": self.summary(),
        }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check_index(
    index_dir: str | Path, corpus: Iterable[str | Path], *, index_option: bool = True
) -> CheckResult:
    """Verify the index at ``index_dir`` against the files under ``corpus``.

    ``index_option``: name the index directory in the repair command.
    """
    index_dir = Path(index_dir)
    corpus = [str(p) for p in corpus]
    result = CheckResult(str(index_dir), corpus)
    found = index.verify(index_dir)
    result.segments, result.documents, result.postings = (
        found.segments,
        found.documents,
        found.postings,
    )
    result.reports = len(found.reports)
    exists = index.index_exists(index_dir)
    for message in found.problems:
        result.problems.append(Problem("corrupt" if exists else "no-index", message))
    _leftovers(index_dir, result)
    files, missing = discover(corpus)
    result.files = len(files)
    for path, reason in missing:
        result.problems.append(Problem("missing", f"{path}: {reason}", path))
    if not found.corrupt:
        _compare(files, found.reports, index.read_failed(index_dir), result)
    result.repair = _repair(result, index_dir if index_option else None)
    return result


def _leftovers(index_dir: Path, result: CheckResult) -> None:
    if index.is_locked(index_dir):
        result.notes.append(
            f"an indexer is running on {index_dir}: what it writes is not checked yet"
        )
        return
    for path in index.leftovers(index_dir):
        result.notes.append(
            f"{path}: left by an interrupted indexer (harmless; the next `fazhi index` removes it)"
        )


def _compare(files: list[Path], reports: dict[str, dict], failed: dict, out: CheckResult) -> None:
    by_path = {m.get("path"): m for m in reports.values()}
    for f in files:
        source, path = str(f), os.path.abspath(f)
        try:
            sha = file_sha256(f)
        except OSError as exc:
            out.problems.append(
                Problem("unreadable", f"{source}: cannot read file ({exc.strerror or exc})", source)
            )
            continue
        meta = by_path.get(path)
        if meta is not None:
            if meta.get("sha256") != sha:
                out.problems.append(
                    Problem("changed", f"{source}: changed since it was indexed", source)
                )
            continue
        if sha[:16] in reports:
            continue  # the same content is indexed under another name
        known = failed.get(path)
        if known is not None and known.get("sha256") == sha:
            out.notes.append(f"{source}: not indexed: {known.get('reason')}")
            continue
        out.problems.append(Problem("missing", f"{source}: not in the index", source))
    for rid, meta in sorted(reports.items(), key=lambda kv: kv[1].get("source") or ""):
        if not os.path.exists(meta.get("path") or ""):
            source = meta.get("source")
            out.problems.append(
                Problem("gone", f"{source}: file is gone but its report {rid} is indexed", source)
            )


def _repair(result: CheckResult, index_dir: Path | None) -> str | None:
    kinds = {p.kind for p in result.problems}
    if not kinds:
        return None
    args = ["fazhi", "index"]
    if kinds & {"corrupt"}:
        args.append("--rebuild")
    elif "gone" in kinds:
        args.append("--prune")
    if index_dir is not None:
        args += ["--index", str(index_dir)]
    args += result.corpus
    return shlex.join(args)
