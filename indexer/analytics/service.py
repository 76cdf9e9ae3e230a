"""The analytics of one engine, cached per index generation, rebuilt in the background."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import FazhiError
from ..search.query import Filters
from ..search.view import Reports
from ..wording import FORM, MIN_SENTENCE_CHARS, report_quotes
from . import copystore, sentencestore
from .matrix import MatrixColumns, Scope, matrix_of
from .practices import (
    MIN_QUOTED_REPORTS,
    Catalogue,
    Practice,
    catalogue_entry,
    collect_practices,
    load_lexicon,
    report_mask,
    sort_catalogue,
)
from .precedents import SentenceIndex
from .review import ReviewMixin, settle
from .sentences import MAX_LISTED, NEAR_SIMILARITY, CorpusReport, StoredTexts

#: the filters that decide which reports are in scope of a matrix or trend
SCOPE_FIELDS = ("township", "county", "province", "level", "kind", "year")

#: one logger for the package, named as operators configure it
log = logging.getLogger(__package__)


# ---------------------------------------------------------------- per-generation cache


@dataclass
class _Slot:
    """An expensive structure: the last value built and the generation it was built for."""

    value: object = None
    generation: object = None
    #: how many times it was built (0: never)
    version: int = 0
    building: bool = False
    #: why the last build failed (None after a successful one)
    error: str | None = None
    #: when the last build ended (time.monotonic) and how long it took (seconds)
    ended: float | None = None
    took: float = 0.0


#: the clock that spaces background rebuilds
_now = time.monotonic


def _message(exc: BaseException) -> str:
    if isinstance(exc, FazhiError):
        return exc.user_message()
    return f"{type(exc).__name__}: {exc}"


class Analytics(ReviewMixin):
    """The analytics of one engine, with what they derive cached per index generation.

    Thread-safe. What costs a pass over the corpus — the practice catalogue
    and the sentence index for precedents — is built by the first call that
    needs it, which waits for it (one build; concurrent callers wait for the
    same one). After a commit, calls keep getting the structure of the
    earlier generation at once while one background thread builds it for the
    current one, then the new one replaces it; a build that fails is logged,
    the old structure stays, and the next call tries again. :meth:`stale`
    and :meth:`build_info` tell which is served, :meth:`wait_idle` waits for
    the builds under way.

    A stale structure answers as of its own snapshot: the catalogue keeps the
    report bitmasks and the bit map of that snapshot, so the practice facet
    counts the current matches that it knows (reports added since count once
    it is rebuilt). Precedents leave out reports removed since; a report the
    stale sentence index does not know yet (or one that is missing many
    reports removed since) waits for an index that knows it.

    The cheap structures (report metadata, matrix columns, scopes, the match
    and precedent caches) are rebuilt by the first call after each commit.
    """

    MATCH_CACHE = 64
    SCOPE_CACHE = 64
    PRECEDENT_CACHE = 256
    #: structures served from an earlier generation while rebuilt in the background
    BACKGROUND = ("practices", "sentences")
    #: a stale sentence index missing more reports than this is not used for precedents
    STALE_REMOVED_MAX = 100

    #: see :attr:`ReviewMixin.copies_child_from`
    COPIES_CHILD_FROM = 5_000

    def __init__(
        self,
        engine,
        lexicon: list[Practice] | None = None,
        *,
        rebuild_spacing: float = 0.0,
        copies_child_from: int | None = COPIES_CHILD_FROM,
    ) -> None:
        self.engine = engine
        self.copies_child_from = copies_child_from
        #: a background rebuild starts only once this many times the last
        #: build's duration has passed since it ended (0: at once). Under a
        #: stream of commits this bounds the share of the processor that
        #: rebuilds take from requests, at the price of staler analytics.
        self.rebuild_spacing = rebuild_spacing
        self._lexicon = lexicon
        self._lock = threading.RLock()
        self._ready = threading.Condition(self._lock)  # a build of a slot ended
        self._build_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._generation = None
        self._cache: dict[str, object] = {}
        self._slots: dict[str, _Slot] = {name: _Slot() for name in self.BACKGROUND}
        self._matches: OrderedDict = OrderedDict()
        self._matched_reports: OrderedDict = OrderedDict()
        self._precedents: OrderedDict = OrderedDict()
        self._scopes: OrderedDict = OrderedDict()
        self._counts: OrderedDict = OrderedDict()
        #: (sentence index, metadata, ids it knows that the metadata does not) of the
        #: last precedents: a set difference over every report, not made per request
        self._removed: tuple | None = None
        #: the quoted phrases of each report (by id: its content), kept across commits
        self._quotes: dict[str, tuple[str, ...]] = {}
        #: the Art. 25 parts of each report (by id: its content), kept across commits
        self._parts: dict[str, list[dict]] = {}
        #: (sentence index version, generation, {report id: copy figures}) of every report
        self._copies: tuple | None = None
        self._copies_lock = threading.Lock()
        self._copies_thread: threading.Thread | None = None
        #: seconds the last build of each derived structure took
        self.build_seconds: dict[str, float] = {}

    # -- cache plumbing

    def _fresh(self):
        gen = self.engine.generation
        with self._lock:
            if gen != self._generation:
                self._generation = gen
                self._cache.clear()
                self._matches.clear()
                self._matched_reports.clear()
                self._precedents.clear()
                self._scopes.clear()
                self._counts.clear()
        return gen

    def _cached(self, name: str, build: Callable[[], object]):
        gen = self._fresh()
        with self._lock:
            if name in self._cache:
                return self._cache[name]
            lock = self._build_locks[name]
        with lock:  # one build at a time per structure; others wait for it
            with self._lock:
                if name in self._cache and self._generation == gen:
                    return self._cache[name]
            t0 = time.perf_counter()
            value = build()
            with self._lock:
                self.build_seconds[name] = round(time.perf_counter() - t0, 3)
                if self._generation == gen:
                    self._cache[name] = value
            return value

    def _latest(
        self, name: str, build: Callable[[], object], usable: Callable[[object], bool] | None = None
    ) -> tuple[object, int]:
        """(value, version) of a structure of :data:`BACKGROUND`, stale or not.

        A value of an earlier generation is returned at once (if ``usable``
        accepts it) and one background thread rebuilds it; with none, or none
        usable, the call waits for the build under way or builds in this thread.
        """
        while True:
            gen = self._fresh()
            with self._ready:
                slot = self._slots[name]
                fresh = slot.generation == gen
                if slot.version and (fresh or usable is None or usable(slot.value)):
                    if not fresh and not slot.building and self._due(slot):
                        self._spawn(name, build)
                    return slot.value, slot.version
                if not slot.building:
                    slot.building = True
                    break
                self._ready.wait()
        return self._build(name, build)

    def _due(self, slot: _Slot) -> bool:
        """Whether a background rebuild of ``slot`` may start now (see ``rebuild_spacing``)."""
        if self.rebuild_spacing <= 0 or slot.ended is None:
            return True
        return _now() - slot.ended >= self.rebuild_spacing * slot.took

    def _build(
        self, name: str, build: Callable[[], object], background: bool = False
    ) -> tuple[object, int] | None:
        """Build ``name`` in this thread and keep it (the caller has set ``building``).

        In the background a failure is logged, not raised: the earlier value stays.
        """
        slot = self._slots[name]
        t0 = time.perf_counter()
        try:
            # read first: the data a build reads is never older than its label
            gen = self._fresh()
            value = build()
        except BaseException as exc:
            logged = background and isinstance(exc, Exception)
            if logged:  # before the build counts as ended: wait_idle() sees the record
                log.error(
                    "rebuilding the %s failed, still serving the one of an earlier index "
                    "generation (the next request retries): %s",
                    name,
                    _message(exc),
                    exc_info=not isinstance(exc, FazhiError),
                )
            with self._ready:
                slot.building, slot.error = False, _message(exc)
                slot.ended = _now()
                slot.took = time.perf_counter() - t0
                self._ready.notify_all()
            if logged:
                return None
            raise
        settle()
        with self._ready:
            slot.value, slot.generation, slot.building, slot.error = value, gen, False, None
            slot.version += 1
            slot.ended, slot.took = _now(), time.perf_counter() - t0
            self.build_seconds[name] = round(slot.took, 3)
            self._ready.notify_all()
            return value, slot.version

    def _spawn(self, name: str, build: Callable[[], object]) -> None:
        """Start the background rebuild of ``name`` (with the lock held)."""
        slot = self._slots[name]
        slot.building = True
        thread = threading.Thread(
            target=self._build, args=(name, build, True), name=f"analytics-{name}", daemon=True
        )
        try:
            thread.start()
        except RuntimeError as exc:  # no thread to be had: serve the old one, retry later
            slot.building, slot.error = False, _message(exc)
            log.warning("cannot rebuild the %s in the background: %s", name, slot.error)

    def prepare(self) -> None:
        """Start building the practice catalogue and the sentence index in the background.

        A server calls this when it starts, so that the first search and
        report pages find them built (or under way) instead of building them.
        """
        builds = {"practices": self._build_catalogue, "sentences": self._build_sentences}
        self._fresh()
        threading.Thread(
            target=self._prepare_columns, name="analytics-columns", daemon=True
        ).start()
        with self._ready:
            for name, build in builds.items():
                slot = self._slots[name]
                if not slot.version and not slot.building:
                    self._spawn(name, build)
        self._start_copies()  # after the sentence index, which it waits for

    def matrix_columns(self) -> MatrixColumns:
        """What the matrix groups by, for the current generation (built once per
        generation: a second at 100,000 reports; :meth:`prepare` builds it at start)."""
        return self._columns(self.engine.view())

    def _prepare_columns(self) -> None:
        """:meth:`matrix_columns` before the first matrix asks; if this fails, the first
        matrix builds them and says why."""
        try:
            self.matrix_columns()
        except Exception:  # noqa: BLE001 - only a head start
            log.debug("preparing the matrix columns failed", exc_info=True)

    def stale(self, name: str) -> bool:
        """Whether ``name`` (one of :data:`BACKGROUND`) is served from an earlier generation."""
        gen = self.engine.generation
        with self._lock:
            slot = self._slots[name]
            return bool(slot.version) and slot.generation != gen

    def build_info(self, name: str) -> dict:
        """Of ``name`` (one of :data:`BACKGROUND`): ``builds`` so far, whether it is ``stale``,
        whether a build is ``building``, its last build's ``seconds``, the last ``error``."""
        stale = self.stale(name)
        with self._lock:
            slot = self._slots[name]
            return {
                "builds": slot.version,
                "stale": stale,
                "building": slot.building,
                "seconds": self.build_seconds.get(name),
                "error": slot.error,
            }

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no structure is being built; False if ``timeout`` seconds passed first.

        For tests and benchmarks: the request paths never wait for a rebuild.
        """
        t0 = time.monotonic()
        with self._ready:
            idle = self._ready.wait_for(
                lambda: not any(s.building for s in self._slots.values()), timeout
            )
        thread = self._copies_thread  # the copy figures, computed after the sentence index
        if idle and thread is not None:
            thread.join(None if timeout is None else max(0.0, timeout - (time.monotonic() - t0)))
            idle = not thread.is_alive()
        return idle

    def _lru(self, cache: OrderedDict, key, size: int, build: Callable[[], object]):
        self._fresh()
        with self._lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = build()
        with self._lock:
            cache[key] = value
            while len(cache) > size:
                cache.popitem(last=False)
        return value

    # -- shared inputs

    def metas(self) -> Reports:
        """Report id → metadata (read-only) of the live reports, in the order of their
        file names (the columns of the view, :class:`~indexer.search.view.Reports`)."""
        return self._cached("metas", lambda: self.engine.view().reports)

    def match(
        self,
        q: str,
        filters: dict | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> dict:
        """``Engine.match`` with a small per-generation cache (QueryError if bad).

        ``deadline``: seconds, instead of the engine's default time budget.
        """
        return self._query_lru(self._matches, self.engine.match, q, filters, mode, deadline)

    def matching_reports(
        self,
        q: str,
        filters: dict | None = None,
        mode: str = "exact",
        deadline: float | None = None,
    ) -> list[str]:
        """``Engine.matching_reports`` with a small per-generation cache (QueryError if bad)."""
        return self._query_lru(
            self._matched_reports, self.engine.matching_reports, q, filters, mode, deadline
        )

    def _query_lru(self, cache: OrderedDict, run: Callable, q, filters, mode, deadline):
        """``run(q, filters=…, mode=…[, deadline=…])``, kept in ``cache`` by query."""
        key = (q, tuple(sorted((k, tuple(v)) for k, v in (filters or {}).items())), mode)
        extra = {} if deadline is None else {"deadline": deadline}
        return self._lru(
            cache, key, self.MATCH_CACHE, lambda: run(q, filters=filters, mode=mode, **extra)
        )

    def corpus(self) -> list[CorpusReport]:
        return self._corpus_view()[0]

    def _corpus_view(self) -> tuple[list[CorpusReport], object]:
        """The corpus and the view of the index generation its texts are read from."""

        def build():
            out = []
            view = self.engine.view()  # texts are read from this generation when needed
            for meta in sorted(self.metas().values(), key=lambda m: m.get("source") or ""):
                rid = meta["id"]
                if rid not in view.loc:
                    continue
                r = view.loc[rid]  # passage numbers from the view's columns, not stored fields
                ids = tuple(view.p_n[view.rep_first[r] : view.rep_first[r + 1]].tolist())
                out.append(CorpusReport(meta, ids, StoredTexts(view, rid, len(ids))))
            return out, view

        return self._cached("corpus", build)

    # -- matrix and trend

    def matrix(self, q: str, filters: dict | None = None, mode: str = "exact") -> dict:
        """The township × year matrix of a query (see :func:`matrix_of`), JSON-ready."""
        query = self.engine.parse(q, filters, mode)
        view, passages = self._query_lru(
            self._counts, self.engine.passage_counts, q, filters, mode, None
        )
        out = {"query": query.text, "mode": mode, "filters": query.filters.to_json()}
        flt = query.filters
        out.update(matrix_of(passages, self._columns(view), self.scope(flt, view)))
        return out

    def _columns(self, view) -> MatrixColumns:
        """The matrix columns of ``view``'s reports (kept for the current generation)."""
        cols = self._cache.get("columns")
        if cols is None or cols[0] is not view:
            cols = (view, MatrixColumns([view.reports.get(rid, {}) for rid in view.rep_rid]))
            settle()
            with self._lock:
                if self._generation == view.generation:
                    self._cache["columns"] = cols
        return cols[1]

    def scope(self, flt: Filters, view=None) -> Scope:
        """What is indexed within the place, level, kind and year filters (cached)."""
        view = view or self.engine.view()
        key = (view.generation, *(tuple(getattr(flt, f)) for f in SCOPE_FIELDS))
        return self._lru(
            self._scopes,
            key,
            self.SCOPE_CACHE,
            lambda: self._columns(view).scope(view.report_mask(flt)),
        )

    def trend(self, q: str, filters: dict | None = None, mode: str = "exact") -> dict:
        """Per year, the share of the reports in scope that match the query."""
        m = self.matrix(q, filters, mode)
        return {k: m[k] for k in ("query", "mode", "filters", "trend")}

    def indexed_per_year(self, flt: Filters) -> dict[int, int]:
        """Reports in scope per report year (the denominators of the trend)."""
        return self.scope(flt).reports

    # -- practices

    def lexicon(self) -> list[Practice]:
        if self._lexicon is None:
            self._lexicon = load_lexicon()
        return self._lexicon

    def _report_quotes(self, corpus: list[CorpusReport], view) -> list[tuple[str, tuple[str, ...]]]:
        """(id, :func:`report_quotes`) of each report: kept from the last catalogue build
        (one build runs at a time), else as the indexer stored them with the segment,
        else read from the texts."""
        known, out = self._quotes, []
        missing = {r.meta["id"] for r in corpus} - known.keys()
        for w, rids, alive in view.wording() if missing else ():
            if w is not None and w.current():
                for rid, quotes in w.unpack().quotes(rids, alive, missing):
                    known[rid] = tuple(sys.intern(p) for p in quotes)
        for r in corpus:
            rid = r.meta["id"]
            found = known.get(rid)
            if found is None:
                found = known[rid] = tuple(sys.intern(p) for p in report_quotes(r.texts))
            out.append((rid, found))
        if len(known) > len(out):  # forget the reports removed since
            self._quotes = {rid: found for rid, found in out}
        return out

    def _catalogue_rules(self) -> dict:
        """What the catalogue depends on besides the index: the lexicon and the quote rules."""
        lexicon = [[p.name, list(p.variants), p.source] for p in self.lexicon()]
        digest = hashlib.sha256(json.dumps(lexicon, ensure_ascii=False).encode()).hexdigest()
        return {"format": 1, "lexicon": digest, "wording": FORM, "quoted": MIN_QUOTED_REPORTS}

    def _build_catalogue(self) -> Catalogue:
        """The catalogue of the current generation: read back if a server kept it, else
        built (one exact search per practice) and kept for the next start."""
        gen, rules, folder = self.engine.generation, self._catalogue_rules(), self.engine.index_dir
        metas = self.metas()
        bits = {rid: i for i, rid in enumerate(metas)}
        kept = copystore.load(folder, gen, rules, copystore.CATALOGUE_FILE)
        if kept is not None and list(kept.get("bits", ())) == list(bits):
            return Catalogue([(e, int(m, 16)) for e, m in kept["entries"]], bits)
        quotes = self._report_quotes(*self._corpus_view())
        practices = collect_practices(self.lexicon(), quotes=quotes)
        entries = []
        for p in practices:
            rids = self.engine.matching_reports(p.query)
            entry = catalogue_entry(p, rids, metas)
            if entry["reports"]:
                entries.append((entry, report_mask(rids, bits)))
        if self.engine.generation == gen:  # what was read is of the generation it is kept for
            body = {"bits": list(bits), "entries": [[e, format(m, "x")] for e, m in entries]}
            copystore.save(folder, gen, rules, body, copystore.CATALOGUE_FILE)
        return Catalogue(entries, bits)

    def catalogue(self) -> Catalogue:
        """The practice catalogue with its report bitmasks (maybe of an earlier generation)."""
        return self._latest("practices", self._build_catalogue)[0]

    def practices(self, sort: str = "townships") -> list[dict]:
        """The practice catalogue (see :func:`collect_practices`), sorted."""
        return sort_catalogue([e for e, _ in self.catalogue().entries], sort)

    def practice_facet(
        self,
        q: str,
        filters: dict | None = None,
        mode: str = "exact",
        limit: int = 20,
        deadline: float | None = None,
    ) -> list[dict]:
        """Practices mentioned by the reports matching a query, most reports first."""
        matches = self.matching_reports(q, filters, mode, deadline)
        cat = self.catalogue()
        found = report_mask(matches, cat.bits)  # the catalogue's own bits, never newer ones
        out = []
        for entry, mask in cat.entries:
            n = (mask & found).bit_count()
            if n:
                out.append(
                    {
                        "name": entry["name"],
                        "reports": n,
                        "query": entry["query"],
                        "variants": entry["variants"],
                    }
                )
        out.sort(key=lambda e: (-e["reports"], e["name"]))
        return out[:limit]

    # -- precedents

    def _build_sentences(self) -> SentenceIndex:
        # mapped from the tables some process kept for this generation, if any; else
        # from the last one built: only the reports added since are read; else from
        # the sentences the indexer stored with each segment, if it did. What is built
        # is kept for the next process, and mapped from there (see .sentencestore).
        corpus, view = self._corpus_view()
        folder, gen = self.engine.index_dir, view.generation
        rules = sentencestore.rules(NEAR_SIMILARITY, MIN_SENTENCE_CHARS)
        kept = sentencestore.load(folder, gen, rules)
        if kept is not None:
            index = SentenceIndex(corpus, kept=kept)
            if index.kept:
                return index
        previous = self._slots["sentences"].value
        index = SentenceIndex(corpus, previous=previous, stored=view.wording())
        if sentencestore.save(folder, gen, rules, index.arrays()):
            mapped = sentencestore.load(folder, gen, rules)
            if mapped is not None:
                index.adopt(mapped)
        return index

    def sentence_index(self) -> SentenceIndex:
        """The sentence index for precedents (maybe of an earlier generation)."""
        return self._latest("sentences", self._build_sentences)[0]

    def precedents(
        self,
        rid: str,
        limit: int = MAX_LISTED,
        *,
        passage: int | None = None,
        matches: bool = True,
    ) -> dict | None:
        """Precedent wording of every sentence of report ``rid`` (None if unknown).

        From a stale sentence index when it knows the report, leaving out the
        reports removed since; else from one that knows it, waiting for it.
        ``passage`` and ``matches``: see :meth:`SentenceIndex.precedents`.
        """
        metas = self.metas()
        if rid not in metas:
            return None

        def removed(index: SentenceIndex) -> set[str]:
            found = self._removed
            if found is None or found[0] is not index or found[1] is not metas:
                found = self._removed = (index, metas, index.position.keys() - metas.keys())
            return found[2]

        def usable(index) -> bool:
            return rid in index.position and len(removed(index)) <= self.STALE_REMOVED_MAX

        index, version = self._latest("sentences", self._build_sentences, usable)
        return self._lru(
            self._precedents, (version, rid, limit, passage, matches), self.PRECEDENT_CACHE,
            lambda: index.precedents(
                rid, limit, removed(index), passage=passage, matches=matches
            ),
        )  # fmt: skip
