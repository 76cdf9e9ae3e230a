"""The cross-check: which reports fazhi, its peers and grep find for each query, and why they differ.

Known limits of the peers (see :mod:`devtools.bench`) explain a difference;
any other difference is reported as unexplained.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer import Engine
from indexer.text import fold

from .engines import Fts5, fazhi_report_set, grep_can_answer, grep_files
from .inputs import IndexedReport
from .queries import Query

#: a page number line ("— 3 —") left in text copied out of a PDF
PAGE_NUMBER_LINE = re.compile(r"^[ \t\u3000]*[—–-]+[ \t]*\d+[ \t]*[—–-]+[ \t\u3000\r]*$", re.M)


@dataclass
class Disagreement:
    #: "fts5", another peer's name, "grep", or "source" (the report a phrase was taken from)
    peer: str
    file: str  # corpus file, or "*" when only the counts could be compared
    found_by: str  # "fazhi", "peer" or "neither"
    reason: str
    explained: bool


@dataclass
class QueryCheck:
    query: str
    kind: str
    fazhi: int
    fts5: int | None = None  # None: cannot answer
    grep: int | None = None
    #: reports found by each further peer (tantivy, …), None: cannot answer
    peers: dict[str, int | None] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)

    def agrees_with(self, peer: str) -> bool:
        return not any(d.peer == peer for d in self.disagreements)


class Explainer:
    """Why grep and fazhi see a report differently, checked against the files and passages."""

    def __init__(self, corpus_dir: Path, manifest: dict, reports: list[IndexedReport]) -> None:
        self.corpus_dir = corpus_dir
        self.kind = {f["file"]: f["kind"] for f in manifest["files"]}
        self.passages = {r.file: [fold(t) for _, t in r.passages] for r in reports}

    def raw(self, file: str) -> str:
        return (self.corpus_dir / file).read_bytes().decode("utf-8-sig", errors="replace")

    def fazhi_only(self, term: str, file: str) -> tuple[str, bool]:
        if self.kind.get(file, Path(file).suffix[1:]) != "txt":
            return "not a .txt file: grep reads text files only", True
        raw = self.raw(file)
        if term not in raw and term in fold(PAGE_NUMBER_LINE.sub("", raw)):
            return "phrase broken by a line break, a page number or spaces in the file", True
        return "unexplained: fazhi matches, the file does not hold the phrase", False

    def grep_only(self, term: str, file: str) -> tuple[str, bool]:
        if not any(term in p for p in self.passages.get(file, [])):
            return "only outside passage text (title, heading, signature or across passages)", True
        return "unexplained: a passage holds the phrase, fazhi does not match it", False


class CrossChecker:
    """Compares fazhi with FTS5, further peers and grep query by query; explains every difference.

    A peer is anything with ``name``, ``can_answer(q)`` and ``report_files(q)``
    that reads the same passages as fazhi: any difference from it is
    unexplained.
    """

    def __init__(
        self,
        engine: Engine,
        fts: Fts5,
        corpus_dir: Path,
        manifest: dict,
        reports: list[IndexedReport],
        peers: Sequence = (),
    ) -> None:
        self.engine = engine
        self.fts = fts
        self.peers = list(peers)
        self.corpus_dir = corpus_dir
        self.files_of = {r.rid: r.file for r in reports}
        self.explain = Explainer(corpus_dir, manifest, reports)

    def check(self, q: Query) -> QueryCheck:
        total, fazhi = fazhi_report_set(self.engine, q, self.files_of)
        check = QueryCheck(q.label(), q.kind, total)
        fts_files = None
        if self.fts.can_answer(q):
            fts_files = self._peer("fts5", self.fts, q, check, fazhi)
            check.fts5 = len(fts_files)
        for peer in self.peers:
            found = self._peer(peer.name, peer, q, check, fazhi) if peer.can_answer(q) else None
            check.peers[peer.name] = None if found is None else len(found)
        if q.source is not None and fazhi is not None and q.source not in fazhi:
            reason = (
                "unexplained: fazhi misses the phrase in the report it was taken from "
                "(or read that report's year or province wrongly)"
            )
            check.disagreements.append(Disagreement("source", q.source, "neither", reason, False))
        if grep_can_answer(q):
            self._grep(q, check, fazhi if fazhi is not None else fts_files)
        return check

    @staticmethod
    def _peer(name: str, peer, q: Query, check: QueryCheck, fazhi: set[str] | None) -> set[str]:
        found = peer.report_files(q)
        if fazhi is None:  # too many matches to enumerate: compare counts
            if check.fazhi != len(found):
                reason = f"unexplained: counts differ ({check.fazhi} vs {len(found)})"
                check.disagreements.append(Disagreement(name, "*", "neither", reason, False))
            return found
        for f in sorted(fazhi ^ found):
            by = "fazhi" if f in fazhi else "peer"
            reason = "unexplained: both read the same passages"
            check.disagreements.append(Disagreement(name, f, by, reason, False))
        return found

    def _grep(self, q: Query, check: QueryCheck, ours: set[str] | None) -> None:
        grepped = grep_files(self.corpus_dir, q)
        check.grep = len(grepped)
        add = check.disagreements.append
        if ours is None:
            if check.fazhi != len(grepped):
                reason = f"not checked: too many matches to enumerate ({check.fazhi})"
                add(Disagreement("grep", "*", "neither", reason, True))
            return
        term = q.terms[0]
        for f in sorted(ours - grepped):
            add(Disagreement("grep", f, "fazhi", *self.explain.fazhi_only(term, f)))
        for f in sorted(grepped - ours):
            add(Disagreement("grep", f, "peer", *self.explain.grep_only(term, f)))


def cross_check(
    engine: Engine,
    fts: Fts5,
    corpus_dir: Path,
    manifest: dict,
    reports: list[IndexedReport],
    queries: list[Query],
    peers: Sequence = (),
) -> list[QueryCheck]:
    """Compare fazhi, FTS5, ``peers`` and grep on every query; see :class:`CrossChecker`."""
    checker = CrossChecker(engine, fts, corpus_dir, manifest, reports, peers)
    return [checker.check(q) for q in queries]


def summarize_checks(checks: list[QueryCheck]) -> dict:
    explained: dict[str, int] = {}
    unexplained = []
    for c in checks:
        for d in c.disagreements:
            if d.explained:
                key = f"{d.peer}: {d.reason}"
                explained[key] = explained.get(key, 0) + 1
            else:
                unexplained.append({"query": c.query, **asdict(d)})
    return {
        "queries": len(checks),
        "fts5_answered": sum(c.fts5 is not None for c in checks),
        "fts5_agreed": sum(c.fts5 is not None and c.agrees_with("fts5") for c in checks),
        "grep_answered": sum(c.grep is not None for c in checks),
        "grep_identical": sum(c.grep is not None and c.agrees_with("grep") for c in checks),
        "peers": {
            name: {
                "answered": sum(c.peers[name] is not None for c in checks),
                "agreed": sum(c.peers[name] is not None and c.agrees_with(name) for c in checks),
            }
            for name in (checks[0].peers if checks else {})
        },
        "explained": explained,
        "unexplained": unexplained,
    }
