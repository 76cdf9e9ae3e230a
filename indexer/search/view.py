"""One generation of the index as flat arrays over its reports and passages.

Built from an :class:`~indexer.index.Snapshot`: per-report metadata columns
(integer codes) for filters, facets and sorting, per-passage numbers and
sections, and each segment's gram index for exact term lookups.
"""

from __future__ import annotations

import weakref
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError
from ..index import SegmentData, Snapshot, grams
from ..index.metatable import ABSENT, RowMeta
from ..model import SECTION_KEYS
from .budget import UNLIMITED, Deadline
from .query import Filters

#: ranking weight of a matching passage, by section
SECTION_WEIGHT = {
    "measures": 1.0,
    "leadership": 1.0,
    "shortcomings": 1.0,
    "plans": 0.9,
    "other_matters": 0.9,
    "other": 0.6,
}

SECTION_CODE = {key: i for i, key in enumerate(SECTION_KEYS)}
#: ranking weight of a matching passage, by section code
SECTION_WEIGHTS = np.array([SECTION_WEIGHT.get(k, 1.0) for k in SECTION_KEYS])
#: the facets and filters over report metadata (besides the year)
PLACE_FIELDS = ("township", "county", "province")
REPORT_FIELDS = (*PLACE_FIELDS, "level", "kind")


def can_lead(values: np.ndarray, k: int) -> np.ndarray | None:
    """Where the values are that can be among the ``k`` smallest (ties with the
    ``k``-th included): all a sort needs to place the first ``k``. None when that
    would hardly be fewer than all (``k`` is a quarter of them or more)."""
    if not 0 < k < len(values) // 4:
        return None
    return np.flatnonzero(values <= np.partition(values, k - 1)[k - 1])


class Column:
    """One metadata field of every report as integer codes (-1: unknown)."""

    __slots__ = ("codes", "labels", "index", "_rank", "_by_text")

    def __init__(self, values: list) -> None:
        self.labels: list = []
        self.index: dict = {}
        codes = np.full(len(values), -1, dtype=np.int32)
        for r, value in enumerate(values):
            if value is None:
                continue
            c = self.index.get(value)
            if c is None:
                c = self.index[value] = len(self.labels)
                self.labels.append(value)
            codes[r] = c
        self.codes = codes
        self._rank: np.ndarray | None = None

    def mask(self, wanted: list) -> np.ndarray:
        """Reports whose value is one of ``wanted``."""
        chosen = np.zeros(len(self.labels) + 1, dtype=bool)  # the last slot: unknown (-1)
        for value in wanted:
            c = self.index.get(value)
            if c is not None:
                chosen[c] = True
        return chosen[self.codes]

    def _tally(self, selected: np.ndarray) -> np.ndarray:
        codes = self.codes[selected]
        return np.bincount(codes[codes >= 0], minlength=len(self.labels))

    def counts(self, selected: np.ndarray) -> dict:
        """Value → number of selected reports (values with none left out)."""
        tally = self._tally(selected)
        return {self.labels[c]: int(tally[c]) for c in np.flatnonzero(tally).tolist()}

    def ranked(
        self, selected: np.ndarray, limit: int | None = None, always: list[str] | None = None
    ) -> tuple[list[tuple], int]:
        """(value, number of selected reports), most first, then by the value's text.

        At most ``limit`` of them, besides the values named in ``always`` (by
        their text: a township's name), and how many values with selected
        reports were left out.
        """
        rank = self._rank
        if rank is None:
            # a (township, county) pair sorts by the township's name
            text = [str(v[0] if isinstance(v, tuple) else v) for v in self.labels]
            order = sorted(range(len(text)), key=text.__getitem__)
            rank = np.empty(len(text), dtype=np.int64)
            rank[order] = np.arange(len(text))
            by_text: dict[str, list[int]] = {}
            for c, t in enumerate(text):
                by_text.setdefault(t, []).append(c)
            # published whole, the order last: a request in another thread sees
            # either nothing (and builds it too) or both
            self._by_text = by_text
            self._rank = rank
        tally = self._tally(selected)
        found = np.flatnonzero(tally)
        total = len(found)
        keep = np.zeros(0, dtype=np.int64)
        if limit is not None and total > limit:
            keep = np.asarray(
                [c for t in always or () for c in self._by_text.get(str(t), ())], dtype=np.int64
            )
            keep = keep[tally[keep] > 0]
            near = can_lead(-tally[found], limit)
            if near is not None:  # only those that can be among the first to sort
                found = np.union1d(found[near], keep)
        found = found[np.lexsort((rank[found], -tally[found]))]
        omitted = 0
        if limit is not None and total > limit:
            listed = np.isin(found, np.concatenate([found[:limit], keep]))
            omitted = total - int(listed.sum())
            found = found[listed]
        labels = self.labels
        ranked = list(zip([labels[c] for c in found.tolist()], tally[found].tolist(), strict=True))
        return ranked, omitted


class _Outlines:
    """Each live report's outline as JSON, read from its segment when asked for."""

    __slots__ = ("view",)

    def __init__(self, view: View) -> None:
        self.view = view

    def get(self, rid: str, default: str = "") -> str:
        r = self.view.loc.get(rid)
        if r is None:
            return default
        si, _ = self.view._seg_of(r)
        return self.view.segs[si].outlines.get(rid, default)


class Reports(Mapping):
    """Report id → its metadata (a :class:`~indexer.index.metatable.RowMeta`, read-only),
    for the live reports of a view, in the order of their file names.

    The metadata stay in their segments' columns: a report's fields are read
    when asked for, ``dict(meta)`` or :meth:`copy` gives a dictionary.
    """

    __slots__ = ("view", "at")

    def __init__(self, view: View, at: dict[str, int]) -> None:
        self.view = view
        self.at = at  # rid → segment number << 32 | row in its metadata table

    def __getitem__(self, rid: str) -> RowMeta:
        code = self.at[rid]
        return RowMeta(self.view.segs[code >> 32].metas, code & 0xFFFFFFFF)

    def get(self, rid: str, default=None):
        return self[rid] if rid in self.at else default

    def __contains__(self, rid) -> bool:
        return rid in self.at

    def __len__(self) -> int:
        return len(self.at)

    def __iter__(self) -> Iterator[str]:
        v = self.view
        rids = v.rep_rid
        for r in v.by_source().tolist():
            if v.rep_alive[r]:
                yield rids[r]

    def copy(self, rid: str) -> dict:
        """Report ``rid``'s metadata as a new dictionary (KeyError if unknown)."""
        code = self.at[rid]
        return self.view.segs[code >> 32].metas.meta(code & 0xFFFFFFFF)


class View:
    """One generation of the index: its snapshot and flat arrays over its reports and passages.

    Reports are numbered across segments (``r``), passages too (``g``); each
    report's passages are ``rep_first[r]:rep_first[r + 1]``. ``alive`` marks
    the passages (``rep_alive`` the reports) not deleted since their segment
    was written. Per segment, the gram index of exact search is mapped from
    its file (:class:`~indexer.index.SegmentData`, shared between generations).
    """

    def __init__(self, index_dir: str | Path, cache: dict[str, SegmentData]) -> None:
        self.snapshot = snap = Snapshot(index_dir, cache)
        # The view is collected by the cyclic collector (its report mapping and
        # outlines point back at it), which finalizes what it frees in no set
        # order: Whoosh's open files could go first and warn that they were never
        # closed. A weak reference's callback runs before any of that, so the
        # snapshot is closed as soon as the view is garbage, however it is freed.
        self._closer = weakref.finalize(self, snap.close)
        self.folder = snap.folder
        self.generation = snap.generation
        self.segs: list[SegmentData] = []
        self.doc_offsets: list[int] = []
        self.bases: list[int] = []  # first passage of each segment
        self.rep_bases: list[int] = []  # first report of each segment
        self.text_index: list[dict[int, int]] = []  # per segment: local docnum → report
        at: dict[str, int] = {}  # rid → segment << 32 | row of its metadata (live reports)
        self.outlines = _Outlines(self)  # rid → outline as JSON (``get``)
        self.loc: dict[str, int] = {}  # rid → report number (live reports)
        self.rep_rid: list[str] = []
        rep_alive: list[bool] = []
        firsts, numbers, sections = [], [], []
        n_passages = 0
        for seg in snap.segments:
            data, dead = seg.data, seg.deleted
            self.segs.append(data)
            self.doc_offsets.append(seg.doc_offset)
            self.bases.append(n_passages)
            self.rep_bases.append(len(self.rep_rid))
            self.text_index.append({d: r for r, d in enumerate(data.text_local)})
            for rid, local in zip(data.rids, data.text_local, strict=True):
                live = dead is None or not dead(local)
                if live:
                    self.loc[rid] = len(self.rep_rid)
                self.rep_rid.append(rid)
                rep_alive.append(live)
            table, si = data.metas, len(self.segs) - 1
            for row, (rid, local) in enumerate(
                zip(table.rids, table.docnums.tolist(), strict=True)
            ):
                if dead is None or not dead(local):
                    at[rid] = si << 32 | row
            firsts.append(np.asarray(data.first[:-1], dtype=np.int64) + n_passages)
            numbers.append(data.p_n)
            sections.append(data.p_section)
            n_passages += len(data.p_n)
        for data in self.segs:  # one budget of kept term lookups for the whole index
            if data.grams is not None:
                data.grams.share_cache(n_passages)
        #: rid → metadata without the outline (live reports; read from the columns)
        self.reports = Reports(self, at)
        if self.loc.keys() != at.keys():
            snap.close()
            odd = sorted(self.loc.keys() ^ at.keys())
            raise snap.corrupt(ValueError(f"reports without text or metadata: {odd}"))
        self.n_passages = n_passages
        self.n_reports = len(self.rep_rid)
        self.rep_first = np.concatenate([*firsts, [n_passages]]).astype(np.int64)
        self.p_n = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int32)
        self.p_section = np.concatenate(sections) if sections else np.zeros(0, dtype=np.uint8)
        self.p_rep = np.repeat(np.arange(self.n_reports, dtype=np.int32), np.diff(self.rep_first))
        self.rep_alive = np.array(rep_alive, dtype=bool)
        self.alive = self.rep_alive[self.p_rep]
        self.any_dead = not self.rep_alive.all()
        self._columns()
        self._texts: dict[str, list[list]] = {}
        self._newest: list[str] | None = None

    def field(self, name: str) -> list:
        """Metadata field ``name`` of every report, by report number (None: it has none,
        or no live report has its id)."""
        values = [data.metas.values(name) for data in self.segs]
        at = self.reports.at
        out: list = []
        for rid in self.rep_rid:
            code = at.get(rid)
            v = None if code is None else values[code >> 32][code & 0xFFFFFFFF]
            out.append(None if v is ABSENT else v)
        return out

    def _columns(self) -> None:
        """Metadata columns over report numbers, for filters, facets and sorting."""
        field = {name: self.field(name) for name in (*REPORT_FIELDS, "year", "date", "source")}
        self.cols = {name: Column(field[name]) for name in REPORT_FIELDS}
        # the township facet tells apart same-named townships of different counties
        self.cols["township_county"] = Column(
            [(t, c) if t else None for t, c in zip(field["township"], field["county"], strict=True)]
        )
        years = field["year"]
        self.year = np.array([y or 0 for y in years], dtype=np.int32)
        self.cols["year"] = Column(years)
        sources, rids = field["source"], self.rep_rid
        order = sorted(range(self.n_reports), key=lambda r: (sources[r] or "", rids[r]))
        self.src_rank = np.empty(self.n_reports, dtype=np.int64)
        self.src_rank[order] = np.arange(self.n_reports)
        self._by_source = np.asarray(order, dtype=np.int64)
        dates = [d or (f"{y}-99" if y else "") for d, y in zip(field["date"], years, strict=True)]
        rank = {d: i for i, d in enumerate(sorted(set(dates)))}
        self.date_rank = np.array([rank[d] for d in dates], dtype=np.int64)

    def newest_first(self) -> list[str]:
        """The live reports' ids: newest report year first, within a year the newest
        issue date, then by file name (made once per view)."""
        order = self._newest
        if order is None:
            dates = [d or "" for d in self.field("date")]
            rank = {d: i for i, d in enumerate(sorted(set(dates)))}
            date_rank = np.array([rank[d] for d in dates], dtype=np.int64)
            found = np.lexsort((self.src_rank, -date_rank, -self.year))
            rids, alive = self.rep_rid, self.rep_alive
            order = self._newest = [rids[r] for r in found.tolist() if alive[r]]
        return order

    def by_source(self) -> np.ndarray:
        """Report numbers in the order of their file names (then ids)."""
        return self._by_source

    def stats(self) -> dict:
        """How many live reports, townships and counties, and the years they span."""
        live = self.rep_alive

        def distinct(name: str) -> int:
            codes = self.cols[name].codes[live]
            labels = self.cols[name].labels
            return sum(1 for c in np.unique(codes[codes >= 0]).tolist() if labels[c])

        years = self.year[live]
        years = years[years != 0]
        return {
            "reports": int(live.sum()),
            "townships": distinct("township_county"),
            "counties": distinct("county"),
            "years": (int(years.min()), int(years.max())) if len(years) else None,
        }

    def close(self) -> None:
        self._closer()

    def wording(self) -> list[tuple]:
        """Per segment: the sentences its file keeps (None: none kept), its report ids
        and whether each is live (see :class:`~indexer.analytics.SentenceIndex`)."""
        return [
            (data.wording, data.rids, self.rep_alive[lo : lo + len(data.rids)].tolist())
            for data, lo in zip(self.segs, self.rep_bases, strict=True)
        ]

    def forget(self) -> None:
        """Drop what earlier queries left: recent term lookups and passage texts read."""
        self._texts.clear()
        for data in self.segs:
            data.grams.forget()

    # -- reports and passages

    def _seg_of(self, r: int) -> tuple[int, int]:
        si = bisect_right(self.rep_bases, r) - 1
        return si, r - self.rep_bases[si]

    def stored(self, rid: str) -> list[list]:
        """A report's passages ``[n, section, heading, path, text, kind]`` from the stored fields."""
        cached = self._texts.get(rid)
        if cached is None:
            cached = self.snapshot.stored_passages(self.text_doc(rid))
            if len(self._texts) >= 512:
                self._texts.clear()
            self._texts[rid] = cached
        return cached

    def passage(self, g: int) -> list:
        """``[n, section, heading, path, text, kind]`` of passage ``g``."""
        r = int(self.p_rep[g])
        return self.stored(self.rep_rid[r])[g - int(self.rep_first[r])]

    def rid_of_doc(self, docnum: int) -> str | None:
        """The live report whose text document has this global Whoosh number."""
        si = bisect_right(self.doc_offsets, docnum) - 1
        r = self.text_index[si].get(docnum - self.doc_offsets[si])
        if r is None:
            return None
        r += self.rep_bases[si]
        return self.rep_rid[r] if self.rep_alive[r] else None

    def text_doc(self, rid: str) -> int:
        si, r = self._seg_of(self.loc[rid])
        return self.doc_offsets[si] + self.segs[si].text_local[r]

    # -- filters

    def filter_masks(self, flt: Filters) -> dict[str, np.ndarray]:
        """For each place, level, kind or year filter given: the reports that pass it."""
        out = {}
        for name in REPORT_FIELDS:
            values = getattr(flt, name)
            if values:
                out[name] = self.cols[name].mask(values)
        if flt.year:
            in_range = np.zeros(self.n_reports, dtype=bool)
            for lo, hi in flt.year:
                in_range |= (self.year >= lo) & (self.year <= hi)
            out["year"] = in_range & (self.cols["year"].codes >= 0)
        return out

    def report_mask(
        self, flt: Filters, skip: str | None = None, masks: dict | None = None
    ) -> np.ndarray:
        """Live reports that pass the place and year filters (all but ``skip``).

        ``masks``: :meth:`filter_masks` of ``flt``, if the caller has them already.
        """
        ok = self.rep_alive.copy()
        for name, passed in (self.filter_masks(flt) if masks is None else masks).items():
            if name != skip:
                ok &= passed
        return ok

    # -- exact term lookup

    def term_matches(
        self, term: str, dl: Deadline = UNLIMITED, within: np.ndarray | None = None
    ) -> np.ndarray:
        """Live passages whose folded text contains ``term`` (folded), as a mask; with
        ``within`` (a mask), of those passages only, looked up in them alone."""
        out = np.zeros(self.n_passages, dtype=bool)
        if not term:
            return out
        for data, base in zip(self.segs, self.bases, strict=True):
            n = data.grams.n
            among = None if within is None else np.flatnonzero(within[base : base + n])
            grams.kernels().mark(out[base : base + n], data.grams.passages(term, dl.check, among))
        if self.any_dead:
            out &= self.alive
        return out

    def term_sample(self, term: str) -> int:
        """How many passages of a sample of the index (its first block) hold ``term``:
        which of several terms is rarest, for a fraction of a lookup's time."""
        for data in self.segs:
            if data.grams.blocks:
                return len(data.grams.blocks[0][1].passages(term))
        return 0

    def corrupt(self, exc: BaseException) -> IndexStoreError:
        return self.snapshot.corrupt(exc)
