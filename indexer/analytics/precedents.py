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
from collections import Counter, defaultdict
from collections.abc import Collection
from operator import itemgetter

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
from .sentences import (
    BOILERPLATE_MIN_REPORTS,
    BOILERPLATE_SHARE,
    MAX_LISTED,
    NEAR_SIMILARITY,
    CorpusReport,
    date_key,
    prefix_length,
    shingles,
)
from .stored import entries

# where a sentence is in its report: (passage position, sentence number) packed in one int
_S = SPAN


def _pack(ppos: int, j: int) -> int:
    return ppos * _S + j


def _unpack(loc: int) -> tuple[int, int]:
    return divmod(loc, _S)


def _holds(values: array, x: int) -> bool:
    """Whether an ascending array holds ``x``."""
    i = bisect_left(values, x)
    return i < len(values) and values[i] == x


def _first_distinct(values: array, n: int) -> list[int]:
    """The ``n`` smallest distinct values of an ascending array."""
    k = 2 * n + 2
    while True:
        head = sorted(set(values[:k]))
        if len(head) >= n or k >= len(values):
            return head[:n]
        k *= 4


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
    ) -> None:
        """``previous``: an index of an earlier state of the corpus, to update
        instead of reading every report again (see :meth:`_update`).
        ``stored``: the sentences the indexer kept, per segment
        (:class:`~indexer.index.SegmentWording`, the segment's report ids,
        whether each is live), read instead of the texts when they cover
        every report of the corpus in the normal form compared here."""
        self.corpus = sorted(corpus, key=lambda r: date_key(r.meta))
        self.threshold = threshold
        self.min_chars = min_chars
        self.boilerplate_reports = max(boilerplate_min, math.ceil(boilerplate_share * len(corpus)))
        self.boilerplate_share = boilerplate_share
        self.boilerplate_min = boilerplate_min
        self.position = {r.meta["id"]: i for i, r in enumerate(self.corpus)}
        self.names = [place_names(r.meta) for r in self.corpus]
        self._near: dict[int, list[tuple[int, float]]] = {}
        self._families: dict[int, tuple] = {}
        self._split: dict[tuple[int, int], list[str]] = {}
        #: whether this index was updated from an earlier one (else built from the texts)
        self.updated = previous is not None and self._update(previous)
        if self.updated:
            return
        self.keys: list[str] = []
        self.key_id: dict[str, int] = {}
        self.reps: list[array] = []
        self.locs: list[array] = []
        self.dead_keys = 0
        #: whether the sentences were read from what the indexer stored (else from the texts)
        self.from_stored = stored is not None and self._from_stored(stored)
        if not self.from_stored:
            for rep in range(len(self.corpus)):
                self._add_report(rep)
        self._build_prefix_index()

    def _from_stored(self, stored: list[tuple]) -> bool:
        """Fill the entries from the indexer's sentences (see :func:`.stored.entries`);
        False (nothing done) when they do not serve."""
        if self.min_chars != MIN_SENTENCE_CHARS:
            return False
        found = entries(stored, self.position, len(self.corpus))
        if found is None:
            return False
        self.keys, self.reps, self.locs = found
        self.key_id = {key: i for i, key in enumerate(self.keys)}
        return True

    def _add_report(
        self, rep: int, fresh: set[int] | None = None, touched: set[int] | None = None
    ) -> None:
        """Add the sentences of report number ``rep`` at the end of their keys' entries.

        ``fresh`` (when updating): the keys whose arrays this index owns; the
        arrays of the others are shared with the earlier index, so they are
        copied before the first change. ``touched`` collects the keys added to.
        """
        key_id, keys, reps, locs = self.key_id, self.keys, self.reps, self.locs
        texts = self.corpus[rep].texts
        for ppos, j, key in report_sentences(texts, self.names[rep], self.min_chars):
            kid = key_id.get(key)
            if kid is None:
                kid = key_id[key] = len(keys)
                keys.append(key)
                reps.append(array("I"))
                locs.append(array("I"))
                if fresh is not None:
                    fresh.add(kid)
            elif fresh is not None and kid not in fresh:
                reps[kid], locs[kid] = array("I", reps[kid]), array("I", locs[kid])
                fresh.add(kid)
            reps[kid].append(rep)
            locs[kid].append(_pack(ppos, j))
            if touched is not None:
                touched.add(kid)

    #: an update reads the added reports only; past this share of the corpus
    #: added or removed, or of keys left without sentences, it builds anew
    UPDATE_SHARE = 0.2

    def _update(self, old: SentenceIndex) -> bool:
        """Derive this index from ``old``: renumber its entries, drop the removed
        reports', add the new reports'. False (nothing done) when a full build
        is due: other settings, too many changes, or an order that moved.

        ``old`` is left as it was (it may still be answering): arrays are
        shared until changed, then copied. The prefix index keeps ``old``'s
        order of shingles (any fixed order is exact; new shingles go last).
        Keys whose sentences were all removed stay, empty, until a full build.
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
        if all(x == i for i, x in enumerate(kept)):
            self.reps, self.locs = list(old.reps), list(old.locs)  # shared until changed
            fresh: set[int] = set()
            dead = old.dead_keys
        else:
            self.reps, self.locs, dead = [], [], 0
            for reps, locs in zip(old.reps, old.locs, strict=True):
                pairs = [(kept[r], loc) for r, loc in zip(reps, locs, strict=True) if kept[r] >= 0]
                self.reps.append(array("I", [r for r, _ in pairs]))
                self.locs.append(array("I", [loc for _, loc in pairs]))
                dead += not pairs
            fresh = set(range(len(self.keys)))
        n_old_keys = len(self.keys)
        touched: set[int] = set()
        for rep in added:
            self._add_report(rep, fresh, touched)
        if added and survivors and added[0] < survivors[-1]:
            # reports inserted among the earlier ones: entries go back in order
            # (ascending by report, then place) where they were appended
            for kid in touched:
                if kid < n_old_keys:
                    pairs = sorted(zip(self.reps[kid], self.locs[kid], strict=True))
                    self.reps[kid] = array("I", [r for r, _ in pairs])
                    self.locs[kid] = array("I", [loc for _, loc in pairs])
        self.dead_keys = dead
        self._extend_prefix_index(old, n_old_keys)
        return True

    def _sentences(self, text: str, names: tuple[str, ...]):
        """(normal form, sentence number) of the sentences of a passage worth comparing."""
        for j, key in enumerate(sentence_keys(text, names)):
            if len(key) >= self.min_chars and j < _S:
                yield key, j

    def _extend_prefix_index(self, old: SentenceIndex, n_old_keys: int) -> None:
        """``old``'s prefix index, with the keys from number ``n_old_keys`` on added."""
        self.sizes = array("I", old.sizes)
        self.sh_first, self.sh_rank = array("q", old.sh_first), array("i", old.sh_rank)
        rank = old.rank
        postings = dict(old.postings)  # lists shared until changed
        owned: set[str] = set()
        for kid in range(n_old_keys, len(self.keys)):
            sh = shingles(self.keys[kid])
            self.sizes.append(len(sh))
            for g in sh:
                if g not in rank:
                    if rank is old.rank:
                        rank = dict(rank)
                    rank[g] = len(rank)
            ordered = sorted(sh, key=rank.__getitem__)
            self.sh_rank.extend(rank[g] for g in ordered)
            self.sh_first.append(len(self.sh_rank))
            for g in ordered[: prefix_length(len(ordered), self.threshold)]:
                if g not in owned:
                    postings[g] = list(postings.get(g, ()))
                    owned.add(g)
                postings[g].append(kid)
        self.rank = rank
        self.postings = postings

    def _build_prefix_index(self) -> None:
        df: Counter = Counter()
        sizes = array("I")
        for key in self.keys:
            sh = shingles(key)
            sizes.append(len(sh))
            df.update(sh)
        #: number of distinct shingles of each key (for the size filter)
        self.sizes = sizes
        # a global order, rarest first (ties in order of first appearance)
        self.rank = {g: i for i, (g, _) in enumerate(sorted(df.items(), key=itemgetter(1)))}
        del df
        rank = self.rank.__getitem__
        postings: dict[str, list[int]] = defaultdict(list)
        threshold = self.threshold
        #: each key's shingles by rank (ascending): key ``c``'s are
        #: ``sh_rank[sh_first[c]:sh_first[c + 1]]`` (near-identical keys are verified with them)
        self.sh_first, self.sh_rank = array("q", [0]), array("i")
        for kid, key in enumerate(self.keys):
            sh = sorted(shingles(key), key=rank)
            self.sh_rank.extend(map(rank, sh))
            self.sh_first.append(len(self.sh_rank))
            for g in sh[: prefix_length(len(sh), threshold)]:
                postings[g].append(kid)
        self.postings = dict(postings)

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
        key = self.keys[kid]
        a = shingles(key)
        rank = self.rank.__getitem__
        prefix = sorted(a, key=rank)[: prefix_length(len(a), self.threshold)]
        candidates: set[int] = set()
        for g in prefix:
            candidates.update(self.postings.get(g, ()))
        candidates.discard(kid)
        return self._verified(a, candidates)

    def _verified(self, a: set, candidates: set[int]) -> list[tuple[int, float]]:
        """The candidate keys whose shingles overlap ``a`` by at least the threshold.

        All candidates at once: their shingles (by rank) gathered from the
        shingle table and looked up among ``a``'s.
        """
        if not candidates:
            return []
        t, na = self.threshold, len(a)
        cands = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        nb = np.frombuffer(self.sizes, dtype=np.uint32)[cands].astype(np.int64)
        ok = (nb >= t * na) & (na >= t * nb)  # else sizes too far apart to overlap enough
        if self.dead_keys:  # keys left by removed reports (see _update)
            ok &= np.array([len(self.reps[c]) > 0 for c in cands.tolist()], dtype=bool)
        cands, nb = cands[ok], nb[ok]
        if not len(cands):
            return []
        first = np.frombuffer(self.sh_first, dtype=np.int64)
        lo, n = first[cands], first[cands + 1] - first[cands]
        ends = np.cumsum(n)
        at = np.arange(int(ends[-1])) + np.repeat(lo - (ends - n), n)
        rank = self.rank
        mine = np.array([rank[g] for g in a if g in rank], dtype=np.int32)
        held = np.isin(np.frombuffer(self.sh_rank, dtype=np.int32)[at], mine)
        sim = np.bincount(np.repeat(np.arange(len(cands)), n), held, len(cands)) / np.maximum(
            na, nb
        )
        found = sim >= t
        return list(zip(cands[found].tolist(), sim[found].tolist(), strict=True))

    def lookup(self, key: str) -> list[tuple[int, float]]:
        """The keys holding the normal form ``key`` or one near-identical to it, closest
        first, with their similarity: for wording that is not in the index (a draft).

        Prefix filtering as for :meth:`near`: shingles the index has never seen are
        ordered last (they are in no indexed set, so any order of them is exact).
        """
        kid = self.key_id.get(key)
        if kid is not None:
            return [(kid, 1.0), *sorted(self.near(kid), key=lambda x: (-x[1], self.keys[x[0]]))]
        a = shingles(key)
        rank, known = self.rank, len(self.rank)
        ordered = sorted(a, key=lambda g: rank.get(g, known))
        candidates: set[int] = set()
        for g in ordered[: prefix_length(len(a), self.threshold)]:
            candidates.update(self.postings.get(g, ()))
        out = self._verified(a, candidates)
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
                    for c, _ in family:
                        others_here[np.frombuffer(self.reps[c], dtype=np.uint32)] = True
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
        elif sum(len(self.reps[c]) for c, _ in family) > self.MARK_FROM:
            mark = np.zeros(len(self.corpus), dtype=bool)  # a frequent wording: mark its reports
            for c, _ in family:
                mark[np.frombuffer(self.reps[c], dtype=np.uint32)] = True
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
        if hide:
            total -= sum(1 for h in hide if any(_holds(self.reps[c], h) for c, _ in family))
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
        for other in listed if describe else ():
            for c, sim in family:  # the closest wording it has
                reps = self.reps[c]
                i = bisect_left(reps, other)
                if i < len(reps) and reps[i] == other:
                    matches.append(self._describe(other, self.locs[c][i], sim))
                    break
        earlier = listed[0] < rep
        if earlier and matches:
            matches[0]["precedent"] = True
        entry.update(boilerplate=False, precedent="other" if earlier else "self", matches=matches)
        return entry, family
