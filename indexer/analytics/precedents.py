"""The sentence index: which reports hold the same or near-identical wording.

Near-identical pairs are found through an inverted index over each
sentence's rarest shingles (prefix filtering: with a global order, two sets
overlapping that much must share one of their first ``|S| - ceil(t|S|) + 1``
shingles), so a lookup verifies a handful of candidates instead of every
sentence. A wording found in at least :data:`BOILERPLATE_SHARE` of all
reports (and at least :data:`BOILERPLATE_MIN_REPORTS`) is boilerplate (套话),
reported with its count but without a precedent.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Collection

import numpy as np

from ..wording import (
    MIN_SENTENCE_CHARS,
    SPAN,
    place_names,
    report_sentences,
    sentence_keys,
    split_sentences,
)
from .matrix import report_ref, share
from .sentence_arrays import Entries, Shingles
from .sentences import (
    BOILERPLATE_MIN_REPORTS,
    BOILERPLATE_SHARE,
    MAX_LISTED,
    NEAR_SIMILARITY,
    CorpusReport,
    date_key,
)
from .stored import entries

# where a sentence is in its report: (passage position, sentence number) packed in one int
_S = SPAN


def _pack(ppos: int, j: int) -> int:
    return ppos * _S + j


def _unpack(loc: int) -> tuple[int, int]:
    return divmod(loc, _S)


def _ids(family: list[tuple[int, float]]) -> np.ndarray:
    """The key numbers of a family of keys (key, similarity)."""
    return np.fromiter((c for c, _ in family), dtype=np.int64, count=len(family))


def _first_distinct(values: array, n: int) -> list[int]:
    """The ``n`` smallest distinct values of an ascending array."""
    k = 2 * n + 2
    while True:
        head = sorted(set(values[:k]))
        if len(head) >= n or k >= len(values):
            return head[:n]
        k *= 4


class _Added:
    """Entries collected report by report (key number, report number, place), compactly."""

    __slots__ = ("kid", "rep", "loc")

    def __init__(self) -> None:
        self.kid, self.rep, self.loc = array("I"), array("I"), array("I")

    def add(self, kid: int, rep: int, loc: int) -> None:
        self.kid.append(kid)
        self.rep.append(rep)
        self.loc.append(loc)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(np.frombuffer(a, dtype=np.uint32) for a in (self.kid, self.rep, self.loc))


class SentenceIndex:
    """Every sentence of a corpus by normal form, with a prefix index for near-identical ones.

    Reports are numbered in order of issue (:func:`date_key`), so "earliest"
    is "smallest number". For each normal form, ``reps`` holds the numbers of
    the reports it occurs in (ascending, one entry per occurrence) and
    ``locs`` where in them, as compact arrays. Built once (see
    :meth:`Analytics.precedents`); :meth:`precedents` answers for one report
    by verifying only the candidates the prefix index yields.
    """

    def __init__(
        self,
        corpus: list[CorpusReport],
        *,
        threshold: float = NEAR_SIMILARITY,
        min_chars: int = MIN_SENTENCE_CHARS,
        boilerplate_share: float = BOILERPLATE_SHARE,
        boilerplate_min: int = BOILERPLATE_MIN_REPORTS,
        previous: SentenceIndex | None = None,
        stored: list[tuple] | None = None,
        kept: dict[str, np.ndarray] | None = None,
    ) -> None:
        """``previous``: an index of an earlier state of the corpus, to update
        instead of reading every report again (see :meth:`_update`).
        ``stored``: the sentences the indexer kept, per segment
        (:class:`~indexer.index.SegmentWording`, the segment's report ids,
        whether each is live), read instead of the texts when they cover
        every report of the corpus in the normal form compared here.
        ``kept``: the tables of an index of this same corpus (:meth:`arrays`,
        mapped from a file by :mod:`.sentencestore`), taken as they are when
        they number the reports the same way (see :attr:`kept`)."""
        self.corpus = sorted(corpus, key=lambda r: date_key(r.meta))
        self.threshold = threshold
        self.min_chars = min_chars
        self.boilerplate_reports = max(boilerplate_min, math.ceil(boilerplate_share * len(corpus)))
        self.boilerplate_share = boilerplate_share
        self.boilerplate_min = boilerplate_min
        self.position = {r.meta["id"]: i for i, r in enumerate(self.corpus)}
        same: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per township, not per report
        self.names = [same.setdefault(n, n) for n in (place_names(r.meta) for r in self.corpus)]
        self._near: dict[int, list[tuple[int, float]]] = {}
        self._families: dict[int, tuple] = {}
        self._split: dict[tuple[int, int], list[str]] = {}
        #: whether the tables are ``kept`` ones (else built or updated here)
        self.kept = kept is not None and self.adopt(kept, keys=True)
        #: whether this index was updated from an earlier one (else built from the texts)
        self.updated = not self.kept and previous is not None and self._update(previous)
        self.from_stored = False
        if self.kept or self.updated:
            return
        self.keys: list[str] = []
        self.key_id: dict[str, int] = {}
        #: whether the sentences were read from what the indexer stored (else from the texts)
        self.from_stored = stored is not None and self._from_stored(stored)
        if not self.from_stored:
            added = _Added()
            for rep in range(len(self.corpus)):
                self._add_report(rep, added)
            self._set_entries(Entries.of(len(self.keys), *added.arrays()))
        self.shingles = Shingles.build(self.keys, threshold)

    def _set_entries(self, entries: Entries) -> None:
        #: each key's entries (:class:`Entries`): ``reps[k]`` the numbers of the
        #: reports holding key ``k`` (ascending, one per occurrence), ``locs[k]`` where
        self.entries = entries
        self.reps, self.locs = entries.reps, entries.locs
        counts = entries.counts()
        self.dead_keys = int((counts == 0).sum())
        #: which keys have entries (None: all): keys of removed reports stay until a full build
        self.alive = counts > 0 if self.dead_keys else None

    def arrays(self) -> dict[str, np.ndarray]:
        """The tables as named arrays (what :mod:`.sentencestore` keeps); the ids of the
        reports in the order they are numbered come first."""
        ids = "\0".join(r.meta["id"] for r in self.corpus).encode("utf-8")
        lengths = np.fromiter(map(len, self.keys), dtype=np.int64, count=len(self.keys))
        chars = "".join(self.keys).encode("utf-32-le", "surrogatepass")
        e, sh = self.entries, self.shingles
        return {
            "ids": np.frombuffer(ids, dtype=np.uint8),
            "key_chars": np.frombuffer(chars, dtype=np.uint32),
            "key_first": np.r_[0, np.cumsum(lengths)].astype(np.int64),
            "entry_first": e.first, "entry_rep": e.rep, "entry_loc": e.loc,
            "sh_code": sh.code, "sh_rank": sh.rank, "sh_sizes": sh.sizes, "sh_first": sh.first,
            "sh_ranks": sh.ranks, "post_first": sh.post_first, "post_kid": sh.post_kid,
        }  # fmt: skip

    def adopt(self, kept: dict[str, np.ndarray], keys: bool = False) -> bool:
        """Take the tables of ``kept`` (:meth:`arrays` of an index of this corpus) in place
        of this index's own: the same tables from a file's pages. False (nothing done)
        when they number other reports or do not fit together. ``keys``: read the
        normal forms too (else they are this index's already)."""
        ids = "\0".join(r.meta["id"] for r in self.corpus).encode("utf-8")
        if kept["ids"].tobytes() != ids or kept["entry_first"][-1] != len(kept["entry_rep"]):
            return False
        n_keys = len(kept["key_first"]) - 1
        if len(kept["entry_first"]) != n_keys + 1 or len(kept["sh_first"]) != n_keys + 1:
            return False
        if keys:
            chars = kept["key_chars"].tobytes().decode("utf-32-le", "surrogatepass")
            first = kept["key_first"].tolist()
            self.keys = [chars[a:b] for a, b in zip(first, first[1:], strict=False)]
            self.key_id = {key: i for i, key in enumerate(self.keys)}
        elif n_keys != len(self.keys):
            return False
        self._set_entries(Entries(kept["entry_first"], kept["entry_rep"], kept["entry_loc"]))
        self.shingles = Shingles(
            self.threshold, kept["sh_code"], kept["sh_rank"], kept["sh_sizes"], kept["sh_first"],
            kept["sh_ranks"], kept["post_first"], kept["post_kid"],
        )  # fmt: skip
        return True

    def _from_stored(self, stored: list[tuple]) -> bool:
        """Fill the entries from the indexer's sentences (see :func:`.stored.entries`);
        False (nothing done) when they do not serve."""
        if self.min_chars != MIN_SENTENCE_CHARS:
            return False
        found = entries(stored, self.position, len(self.corpus))
        if found is None:
            return False
        self.keys, table = found
        self.key_id = {key: i for i, key in enumerate(self.keys)}
        self._set_entries(table)
        return True

    def _add_report(self, rep: int, added: _Added) -> None:
        """Collect the sentences of report number ``rep`` in ``added``, numbering new keys."""
        key_id, keys = self.key_id, self.keys
        texts = self.corpus[rep].texts
        for ppos, j, key in report_sentences(texts, self.names[rep], self.min_chars):
            kid = key_id.get(key)
            if kid is None:
                kid = key_id[key] = len(keys)
                keys.append(key)
            added.add(kid, rep, _pack(ppos, j))

    #: an update reads the added reports only; past this share of the corpus
    #: added or removed, or of keys left without sentences, it builds anew
    UPDATE_SHARE = 0.2

    def _update(self, old: SentenceIndex) -> bool:
        """Derive this index from ``old``: renumber its entries, drop the removed
        reports', add the new reports'. False (nothing done) when a full build
        is due: other settings, too many changes, or an order that moved.

        ``old`` is left as it was (it may still be answering): its arrays are
        read, new ones made. The prefix index keeps ``old``'s order of
        shingles (any fixed order is exact; new shingles go last). Keys whose
        sentences were all removed stay, empty, until a full build.
        """
        if (old.threshold, old.min_chars) != (self.threshold, self.min_chars):
            return False
        n = len(self.corpus)
        old_ids = [r.meta["id"] for r in old.corpus]
        kept = [self.position.get(rid, -1) for rid in old_ids]
        added = [rep for rep, r in enumerate(self.corpus) if r.meta["id"] not in old.position]
        removed = sum(1 for x in kept if x < 0)
        if len(added) + removed > self.UPDATE_SHARE * max(n, 1):
            return False
        if old.dead_keys > self.UPDATE_SHARE * max(len(old.keys), 1):
            return False
        survivors = [x for x in kept if x >= 0]
        if any(a >= b for a, b in zip(survivors, survivors[1:], strict=False)):
            return False  # kept reports changed order: numbers are not a monotone map
        if any(old.names[i] != self.names[x] for i, x in enumerate(kept) if x >= 0):
            return False
        self.keys = list(old.keys)
        self.key_id = dict(old.key_id)
        table = old.entries
        if not all(x == i for i, x in enumerate(kept)):
            table = table.renumbered(np.array(kept, dtype=np.int64))
        n_old_keys = len(self.keys)
        new = _Added()
        for rep in added:
            self._add_report(rep, new)
        self._set_entries(table.with_added(len(self.keys), *new.arrays()))
        self.shingles = old.shingles.extended(self.keys, n_old_keys)
        return True

    def _sentences(self, text: str, names: tuple[str, ...]):
        """(normal form, sentence number) of the sentences of a passage worth comparing."""
        for j, key in enumerate(sentence_keys(text, names)):
            if len(key) >= self.min_chars and j < _S:
                yield key, j

    # -- lookups

    def __len__(self) -> int:
        return len(self.keys)

    #: near() results kept (reports share most of their sentences)
    NEAR_CACHE = 200_000
    #: a family with more entries than this counts its reports on a mask, not in a set
    MARK_FROM = 2_000

    def near(self, kid: int) -> list[tuple[int, float]]:
        """Other normal forms near-identical to key ``kid``, with their similarity."""
        found = self._near.get(kid)
        if found is None:
            found = self._find_near(kid)
            if len(self._near) >= self.NEAR_CACHE:
                self._near.clear()
            self._near[kid] = found
        return found

    def _find_near(self, kid: int) -> list[tuple[int, float]]:
        sh = self.shingles
        ranks = sh.of_key(kid)
        cands = sh.candidates(len(ranks), ranks)
        cands = cands[cands != kid]
        return sh.verified(len(ranks), ranks, cands, self.alive)

    def lookup(self, key: str) -> list[tuple[int, float]]:
        """The keys holding the normal form ``key`` or one near-identical to it, closest
        first, with their similarity: for wording that is not in the index (a draft).

        Prefix filtering as for :meth:`near`: shingles the index has never seen are
        ordered last (they are in no indexed set, so any order of them is exact).
        """
        kid = self.key_id.get(key)
        if kid is not None:
            return [(kid, 1.0), *sorted(self.near(kid), key=lambda x: (-x[1], self.keys[x[0]]))]
        sh = self.shingles
        n, ranks = sh.of_text(key)
        out = sh.verified(n, ranks, sh.candidates(n, ranks), self.alive)
        out.sort(key=lambda x: (-x[1], self.keys[x[0]]))
        return out

    def reports_of(self, family: list[tuple[int, float]]) -> list[int]:
        """The numbers of the reports holding any key of ``family`` (ascending: earliest first)."""
        found: set[int] = set()
        for c, _ in family:
            found.update(self.reps[c])
        return sorted(found)

    def describe(self, rep: int, family: list[tuple[int, float]]) -> dict | None:
        """Report number ``rep``'s closest sentence among ``family``, as in ``matches``."""
        for c, sim in family:
            reps = self.reps[c]
            i = bisect_left(reps, rep)
            if i < len(reps) and reps[i] == rep:
                return self._describe(rep, self.locs[c][i], sim)
        return None

    def _written(self, rep: int, ppos: int) -> list[str]:
        """The sentences of a passage as written (cached: early reports are listed often)."""
        found = self._split.get((rep, ppos))
        if found is None:
            found = split_sentences(self.corpus[rep].texts[ppos])
            if len(self._split) >= 20_000:
                self._split.clear()
            self._split[(rep, ppos)] = found
        return found

    def _describe(self, rep: int, loc: int, sim: float) -> dict:
        r = self.corpus[rep]
        ppos, j = _unpack(loc)
        m = r.meta
        return {
            **report_ref(m),
            "passage": r.ids[ppos],
            "text": self._written(rep, ppos)[j],
            "kind": "same" if sim >= 1.0 else "near",
            "similarity": round(sim, 3),
            "precedent": False,
        }

    def precedents(
        self,
        rid: str,
        limit: int = MAX_LISTED,
        hidden: Collection[str] = (),
        *,
        passage: int | None = None,
        matches: bool = True,
    ) -> dict | None:
        """For each sentence of report ``rid``, the other reports with the same wording.

        None if the report is not in the corpus. ``hidden``: ids of reports
        neither listed nor counted (removed from the index since this one was
        built). See the README for the JSON. ``passage``: that passage only
        (the totals then count it alone). ``matches=False``: the counts and
        the earliest-report flags without the matching sentences (empty
        ``matches``; reading and splitting the other reports' passages is
        most of the work).
        """
        rep = self.position.get(rid)
        if rep is None:
            return None
        hide = {self.position[h] for h in hidden if h in self.position}
        hide.discard(rep)
        r = self.corpus[rep]
        passages = []
        n_sentences = n_boiler = 0
        # the other reports holding a sentence, marked over all reports (a set of every
        # entry costs more once wording recurs in thousands of reports)
        n = len(self.corpus)
        all_others = np.zeros(n, dtype=bool)
        unlisted = np.fromiter((rep, *hide), dtype=np.int64)
        if passage is None:
            items = zip(r.ids, r.texts, strict=True)
        else:
            items = [(pid, r.texts[i]) for i, pid in enumerate(r.ids) if pid == passage]
        for pid, text in items:
            sentences = []
            others_here = None
            seen: set[str] = set()
            written = None
            for key, j in self._sentences(text, self.names[rep]):
                if key in seen:
                    continue
                seen.add(key)
                if written is None:
                    written = split_sentences(text)
                found = self._sentence(rep, key, written[j], limit, hide, matches)
                if found is None:
                    continue
                entry, family = found
                sentences.append(entry)
                if entry["boilerplate"]:
                    n_boiler += 1
                else:
                    n_sentences += 1
                    if others_here is None:
                        others_here = np.zeros(n, dtype=bool)
                    others_here[self.entries.reports_of(_ids(family))] = True
            if sentences:
                count = 0
                if others_here is not None:
                    others_here[unlisted] = False
                    all_others |= others_here
                    count = int(others_here.sum())
                passages.append(
                    {
                        "passage": pid,
                        "reports": count,
                        "boilerplate": sum(1 for s in sentences if s["boilerplate"]),
                        "sentences": sentences,
                    }
                )
        m = r.meta
        rules = self.rules()
        rules["reports_indexed"] -= len(hide)
        return {
            **report_ref(m),
            "id": rid,
            "rules": rules,
            "total": {
                "sentences": n_sentences,
                "boilerplate": n_boiler,
                "reports": int(all_others.sum()),
            },
            "passages": passages,
        }

    def rules(self) -> dict:
        return {
            "min_chars": self.min_chars,
            "similarity": self.threshold,
            "boilerplate_share": self.boilerplate_share,
            "boilerplate_min_reports": self.boilerplate_min,
            "boilerplate_reports": self.boilerplate_reports,
            "reports_indexed": len(self.corpus),
        }

    def _family(self, kid: int, limit: int) -> tuple[list[tuple[int, float]], int, list[int]]:
        """Key ``kid`` and its near-identical keys (closest first), the number of reports
        they occur in, and the first ``limit + 1`` of those reports (cached)."""
        hit = self._families.get(kid)
        if hit is not None and len(hit[2]) >= min(limit + 1, hit[1]):
            return hit
        keys = self.keys  # ties in wording order: the same however the keys are numbered
        family = [(kid, 1.0), *sorted(self.near(kid), key=lambda x: (-x[1], keys[x[0]]))]
        if len(family) == 1:
            total = len(set(self.reps[kid]))
            head = _first_distinct(self.reps[kid], limit + 1)
        elif self.entries.count_of(ids := _ids(family)) > self.MARK_FROM:
            mark = np.zeros(len(self.corpus), dtype=bool)  # a frequent wording: mark its reports
            mark[self.entries.reports_of(ids)] = True
            found = np.flatnonzero(mark)
            total, head = len(found), found[: limit + 1].tolist()
        else:
            reports: set[int] = set()
            heads: set[int] = set()
            for c, _ in family:
                reports.update(self.reps[c])
                heads.update(_first_distinct(self.reps[c], limit + 1))
            total = len(reports)
            head = sorted(heads)[: limit + 1]
        hit = (family, total, head)
        if len(self._families) >= self.NEAR_CACHE:
            self._families.clear()
        self._families[kid] = hit
        return hit

    def _sentence(
        self,
        rep: int,
        key: str,
        text: str,
        limit: int,
        hide: Collection[int] = (),
        describe: bool = True,
    ) -> tuple[dict, list[tuple[int, float]]] | None:
        """One sentence's entry and its family of keys (None if no other report has it).

        ``hide``: numbers of reports neither listed nor counted. ``describe``:
        whether to list the matching sentences (else ``matches`` is empty).
        """
        family, total, head = self._family(self.key_id[key], limit + len(hide))
        ids = rows = held = None  # the family's keys, their entries, and those entries' reports
        if hide or (describe and total > 1):
            ids = _ids(family)
            rows = self.entries.rows_of(ids)
            held = self.entries.rep[rows]
        if hide:
            hidden = np.fromiter(hide, dtype=np.int64, count=len(hide))
            total -= int(np.isin(hidden, held).sum())
        if total <= 1:  # only this report (it always has its own sentence)
            return None
        entry: dict = {
            "text": text,
            "count": total - 1,
            "share": share(total, len(self.corpus) - len(hide)),
        }
        if total >= self.boilerplate_reports:
            entry.update(boilerplate=True, precedent=None, matches=[])
            return entry, family
        # earliest first: reports are numbered in order of issue
        listed = [r for r in head if r != rep and r not in hide][: max(1, limit)]
        matches = []
        if describe and listed:
            # the closest wording each listed report has: its first entry in the family
            # (keys closest first, each key's entries by report, then place)
            ends = np.cumsum(self.entries.counts_of(ids))
            for other in listed:
                hit = np.flatnonzero(held == other)
                if len(hit):
                    at = int(hit[0])
                    sim = family[int(np.searchsorted(ends, at, side="right"))][1]
                    matches.append(self._describe(other, int(self.entries.loc[rows[at]]), sim))
        earlier = listed[0] < rep
        if earlier and matches:
            matches[0]["precedent"] = True
        entry.update(boilerplate=False, precedent="other" if earlier else "self", matches=matches)
        return entry, family
