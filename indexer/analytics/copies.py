"""The copy verdict: how much of a report's wording one other report holds, and the two side by side.

For a report, every distinct sentence long enough to compare (the rules of
:mod:`.sentences`: same normal form or near-identical) is looked up in the
sentence index. The report that holds the most of them is its **closest
report**; ``share`` is the part of the report's sentences it holds (and
``chars_share`` of its characters). Boilerplate (套话) counts on both sides:
a copy copies it too. When the closest report was issued earlier and holds
at least :data:`COPY_SHARE` of the sentences, the report is a **copy** of it
(``copied``: the report page opens with a banner, the list ranks it high).

Candidates come from the rarer sentences (held by at most :data:`RARE`
reports: a copy shares its source's own wording, not only the common
phrases), then each candidate is counted over every sentence, so the figure
of the closest report is exact. Near-identical wording is counted for a
report whose closest one holds at least :data:`NEAR_FROM` of it by the same
wording (finding near-identical sentences is most of the cost; a report
sharing less is no copy either way); ``shared`` then counts it too. :func:`compare` lays the report beside one
other: each sentence the same, near-identical (with the other's wording) or
its own.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Sequence

import numpy as np

from ..wording import split_sentences
from .matrix import report_ref
from .precedents import SentenceIndex

#: the share of a report's sentences an earlier report must hold to call it a copy
COPY_SHARE = 0.5
#: sentences held by more reports than this do not nominate candidates
RARE = 50
#: candidates counted over every sentence
CANDIDATES = 3
#: a report whose closest one holds this share of it by the same wording is compared
#: again with near-identical wording counted too
NEAR_FROM = 0.2


def _families(index: SentenceIndex, rep: int) -> list[tuple[int, int, str, list]]:
    """(passage position, sentence number, normal form, family) of each distinct sentence."""
    out = []
    seen: set[str] = set()
    names = index.names[rep]
    for ppos, text in enumerate(index.corpus[rep].texts):
        if not text:
            continue
        for key, j in index._sentences(text, names):
            if key in seen:
                continue
            seen.add(key)
            family, total, _ = index._family(index.key_id[key], 0)
            out.append((ppos, j, key, family, total))
    return out


def _holds(index: SentenceIndex, family, other: int) -> tuple[int, float] | None:
    """The closest key of ``family`` that report number ``other`` holds, with its similarity."""
    for c, sim in family:
        reps = index.reps[c]
        i = bisect_left(reps, other)
        if i < len(reps) and reps[i] == other:
            return c, sim
    return None


def _report_keys(index: SentenceIndex, rep: int) -> list[int]:
    """The distinct keys of report number ``rep``, in the order they are written."""
    out, seen = [], set()
    names = index.names[rep]
    for text in index.corpus[rep].texts:
        if not text:
            continue
        for key, _ in index._sentences(text, names):
            kid = index.key_id[key]
            if kid not in seen:
                seen.add(kid)
                out.append(kid)
    return out


class ReportKeys(Sequence):
    """The distinct keys of every report, ascending: report ``r``'s are
    ``kids[first[r]:first[r + 1]]`` (two arrays, not a list per report)."""

    def __init__(self, first: np.ndarray, kids: np.ndarray) -> None:
        self.first, self.kids = first, kids

    def __len__(self) -> int:
        return len(self.first) - 1

    def __getitem__(self, rep: int) -> list[int]:
        return self.kids[self.first[rep] : self.first[rep + 1]].tolist()


def keys_by_report(index: SentenceIndex) -> ReportKeys:
    """The distinct keys of every report, from the index's own arrays (no text is read)."""
    table = index.entries
    reps = table.rep
    kids = np.repeat(np.arange(len(table), dtype=np.int32), table.counts())
    order = np.lexsort((kids, reps))  # by report, then key
    reps, kids = reps[order], kids[order]
    distinct = np.ones(len(reps), dtype=bool)
    distinct[1:] = (reps[1:] != reps[:-1]) | (kids[1:] != kids[:-1])
    reps, kids = reps[distinct], kids[distinct]
    first = np.searchsorted(reps, np.arange(len(index.corpus) + 1))
    return ReportKeys(first, kids)


def report_copy(index: SentenceIndex, rid: str, hidden: Collection[str] = ()) -> dict | None:
    """The closest report to report ``rid`` and how much of it that one holds (None: unknown).

    ``{sentences, shared, share, chars_share, source, copied}``: ``sentences``
    compared, ``shared`` with any other report; ``source`` the closest report
    (``id``, ``title``, ``township``, ``county``, ``year``, ``date``,
    ``sentences`` it holds, ``earlier``: issued before) or None.
    """
    rep = index.position.get(rid)
    if rep is None:
        return None
    hide = _hidden(index, hidden)
    return copy_of(index, rep, _report_keys(index, rep), hide, lambda o: _report_keys(index, o))


def all_copies(index: SentenceIndex, hidden: Collection[str] = ()) -> dict[str, dict]:
    """:func:`report_copy` of every report, by id (the same figures, computed in one pass)."""
    hide = _hidden(index, hidden)
    out = {}
    every = keys_by_report(index)
    kin: dict[int, tuple[np.ndarray, int]] = {}
    for rep, kids in enumerate(every):
        if rep not in hide:
            out[index.corpus[rep].meta["id"]] = copy_of(
                index, rep, kids, hide, every.__getitem__, kin
            )
    return out


def _kin(index: SentenceIndex, kid: int, cache: dict | None) -> tuple[np.ndarray, int]:
    """Key ``kid`` and its near-identical keys, as an array, and the number of reports
    they occur in (what :meth:`SentenceIndex._family` gives, without its order).

    Kept in ``cache`` at 4 bytes a key: a pass over every report looks each key up
    again and again, and the index's own caches, which hold the family as tuples
    for the precedents, grew to gigabytes at 100,000 reports (families of hundreds
    of near-identical keys); they are read here, not filled.
    """
    hit = cache.get(kid) if cache is not None else None
    if hit is not None:
        return hit
    near = index._near.get(kid)
    if near is None:
        near = index._find_near(kid)
    members = np.empty(len(near) + 1, dtype=np.int32)
    members[0] = kid
    members[1:] = [c for c, _ in near]
    if len(members) == 1:
        total = len(set(index.reps[kid]))
    else:
        held = np.concatenate([np.frombuffer(index.reps[c], dtype=np.uint32) for c in members])
        total = len(np.unique(held))
    hit = (members, total)
    if cache is not None:
        cache[kid] = hit
    return hit


def _hidden(index: SentenceIndex, hidden: Collection[str]) -> set[int]:
    return {index.position[h] for h in hidden if h in index.position}


def copy_of(
    index: SentenceIndex,
    rep: int,
    kids: list[int],
    hidden: set[int],
    keys_of: Callable[[int], Collection[int]],
    kin: dict | None = None,
) -> dict:
    """The copy figures of report number ``rep`` whose distinct keys are ``kids``.

    First by the same wording only (cheap: the index's arrays); when the closest
    report then holds at least :data:`NEAR_FROM` of the sentences, again with
    near-identical wording counted too (finding near-identical keys is most of
    the cost, and only a report that shares that much can be a copy).
    ``keys_of``: the distinct keys of a report, by number; ``kin``: where the
    families of keys found are kept for the next reports (see :func:`_kin`).
    """
    exact = _copy_of(index, rep, kids, hidden, [(kid,) for kid in kids], None, keys_of)
    if exact["share"] < NEAR_FROM:
        return exact
    found = [_kin(index, kid, kin) for kid in kids]
    families = [f for f, _ in found]
    return _copy_of(index, rep, kids, hidden, families, [t for _, t in found], keys_of)


def _copy_of(index, rep, kids, hidden, families, totals, keys_of) -> dict:
    """Figures with ``families`` of keys (each key's own and its near-identical ones);
    ``totals``: their report counts (None: the families are the keys alone, counted
    from the index's arrays)."""
    keys = index.keys
    hide = hidden | {rep}
    nominated: Counter = Counter()
    shared = 0
    for i, (kid, family) in enumerate(zip(kids, families, strict=True)):
        if len(hide) == 1 and totals is None:
            reps = index.reps[kid]
            if reps[0] == rep and reps[-1] == rep:
                continue  # this report's own
            if len(reps) > RARE + 1:
                shared += 1  # held by others, too many to nominate one
                continue
            others = set(reps)
        elif len(hide) == 1 and totals[i] > RARE + 1:
            shared += 1
            continue
        else:
            others = set()
            for c in family:
                others.update(index.reps[c])
        others -= hide
        if others:
            shared += 1
            if len(others) <= RARE:
                for other in others:
                    nominated[other] += len(keys[kid])
    n = len(kids)
    chars = sum(len(keys[k]) for k in kids)
    best = None
    members = None
    # ties go to the earlier report, whatever order the keys came in
    for other, _ in heapq.nsmallest(CANDIDATES, nominated.items(), key=lambda kv: (-kv[1], kv[0])):
        if members is None:  # each family's keys, to look up among the candidate's
            members = [f.tolist() if isinstance(f, np.ndarray) else f for f in families]
        theirs = set(keys_of(other))
        held = [k for k, m in zip(kids, members, strict=True) if not theirs.isdisjoint(m)]
        score = (len(held), sum(len(keys[k]) for k in held), -other)
        if best is None or score > best[0]:
            best = (score, other)
    out = {
        "sentences": n,
        "shared": shared,
        "share": 0.0,
        "chars_share": 0.0,
        "source": None,
        "copied": False,
    }
    if best is None or not n:
        return out
    (k, c, _), other = best
    m = index.corpus[other].meta
    earlier = other < rep
    out.update(
        share=round(k / n, 4),
        chars_share=round(c / chars, 4) if chars else 0.0,
        source={
            **report_ref(m),
            "sentences": k,
            "earlier": earlier,
        },
        copied=earlier and k / n >= COPY_SHARE,
    )
    return out


def report_sources(
    index: SentenceIndex, rid: str, hidden: Collection[str] = (), limit: int = 10
) -> list[dict] | None:
    """The other reports holding sentences of report ``rid``, most first (None: unknown).

    ``[{id, title, township, county, year, date, sentences, share, earlier}]``;
    ``share``: of the report's sentences compared. Boilerplate is left out here
    (every report has it).
    """
    rep = index.position.get(rid)
    if rep is None:
        return None
    hide = {index.position[h] for h in hidden if h in index.position}
    hide.add(rep)
    items = _families(index, rep)
    tally: Counter = Counter()
    for *_, family, total in items:
        if total <= 1 or total >= index.boilerplate_reports:
            continue
        reps: set[int] = set()
        for c, _ in family:
            reps.update(index.reps[c])
        tally.update(reps - hide)
    out = []
    for other, k in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        m = index.corpus[other].meta
        out.append(
            {
                **{f: m.get(f) for f in ("id", "title", "township", "county", "year", "date")},
                "sentences": k,
                "share": round(k / len(items), 4) if items else 0.0,
                "earlier": other < rep,
            }
        )
    return out


def compare(index: SentenceIndex, rid: str, other_id: str) -> dict | None:
    """Report ``rid`` beside report ``other_id``, sentence by sentence (None: either unknown).

    ``{passages: [{passage, sentences: [{text, status, other}]}], same, near, own, short}``:
    ``status`` is ``same`` (the same wording), ``near`` (``other`` holds
    the other report's ``text``, ``passage`` and ``similarity``), ``own``
    (not in the other report) or ``short`` (not compared).
    """
    rep, other = index.position.get(rid), index.position.get(other_id)
    if rep is None or other is None:
        return None
    r = index.corpus[rep]
    names = index.names[rep]
    counts: Counter = Counter()
    passages = []
    for ppos, text in enumerate(r.texts):
        if not text:
            continue
        written = split_sentences(text)
        compared = dict((j, key) for key, j in index._sentences(text, names))
        sentences = []
        for j, sentence in enumerate(written):
            if not sentence:
                continue
            entry: dict = {"text": sentence, "status": "short", "other": None}
            key = compared.get(j)
            if key is not None:
                family, _, _ = index._family(index.key_id[key], 0)
                found = _holds(index, family, other)
                if found is None:
                    entry["status"] = "own"
                else:
                    desc = index.describe(other, [found])
                    entry["status"] = "same" if found[1] >= 1.0 else "near"
                    entry["other"] = {
                        "passage": desc["passage"],
                        "text": desc["text"],
                        "similarity": desc["similarity"],
                    }
            counts[entry["status"]] += 1
            sentences.append(entry)
        if sentences:
            passages.append({"passage": r.ids[ppos], "sentences": sentences})
    m = index.corpus[other].meta
    return {
        "id": rid,
        "other": {k: m.get(k) for k in ("id", "title", "township", "county", "year", "date")},
        "passages": passages,
        "same": counts["same"],
        "near": counts["near"],
        "own": counts["own"],
        "short": counts["short"],
    }
