"""Check a draft against the index: its shared wording, its sources, its five parts.

A draft (pasted text or an uploaded file, structured like any report but never
indexed) is compared sentence by sentence with the sentence index, by the rules
of precedents (:mod:`.sentences`): the same normal form (the draft's own place
names and every number masked) or a near-identical one. Each sentence long
enough to compare is ``same``, ``near``, ``boilerplate`` (wording in many
reports, 套话) or ``new``; shorter ones are ``short`` and not counted.

``overlap`` is the share of the draft's characters (in the normal form:
punctuation and spaces not counted, a masked name counted as one character),
over the sentences compared, that other reports hold; ``sources`` rank the
reports by the characters of the draft they share (boilerplate left out: it
says nothing about where a draft came from).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection

from ..model import WORDING_KINDS
from ..wording import place_names, sentence_keys, split_sentences
from .coverage import report_parts
from .matrix import report_ref, share
from .precedents import SentenceIndex
from .sentences import MAX_LISTED

#: sources listed (the ones sharing the most first)
MAX_SOURCES = 20
#: seconds a check may spend comparing; sentences left are ``unchecked``
CHECK_SECONDS = 20.0


def check_draft(
    draft: dict,
    index: SentenceIndex,
    hidden: Collection[str] = (),
    *,
    limit: int = MAX_LISTED,
    seconds: float = CHECK_SECONDS,
) -> dict:
    """The check of ``draft`` (a ``Report.to_dict()``: metadata and passages). JSON-ready.

    ``hidden``: ids of reports neither listed nor counted (removed since the
    index was built). ``limit``: reports listed per sentence, earliest first.
    """
    t0 = time.perf_counter()
    hide = {index.position[h] for h in hidden if h in index.position}
    names = place_names(draft)
    n_reports = len(index.corpus) - len(hide)
    passages = []
    totals = defaultdict(int)
    chars = {"total": 0, "shared": 0, "boilerplate": 0}
    by_source: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # rep → [sentences, chars]
    complete = True
    for p in draft.get("passages") or []:
        if p.get("kind", "body") not in WORDING_KINDS:
            continue
        text = p.get("text") or ""
        written = split_sentences(text)
        entries = []
        seen: set[str] = set()
        for sentence, key in zip(written, sentence_keys(text, names), strict=True):
            if not sentence:
                continue
            entry: dict = {"text": sentence, "chars": len(key), "count": 0, "matches": []}
            entries.append(entry)
            if len(key) < index.min_chars:
                entry["status"] = "short"
                continue
            if time.perf_counter() - t0 > seconds:
                entry["status"] = "unchecked"
                complete = False
                continue
            totals["sentences"] += 1
            chars["total"] += len(key)
            family = index.lookup(key)
            reps = [r for r in index.reports_of(family) if r not in hide]
            entry["count"] = len(reps)
            entry["share"] = share(len(reps), n_reports)
            if not reps:
                entry["status"] = "new"
                totals["new"] += 1
                continue
            if len(reps) >= index.boilerplate_reports:
                entry["status"] = "boilerplate"
                totals["boilerplate"] += 1
                chars["boilerplate"] += len(key)
                continue
            entry["status"] = "same" if family[0][1] >= 1.0 else "near"
            entry["similarity"] = round(family[0][1], 3)
            totals["shared"] += 1
            chars["shared"] += len(key)
            if key not in seen:  # a sentence repeated in the draft counts once per source
                seen.add(key)
                for r in reps:
                    by_source[r][0] += 1
                    by_source[r][1] += len(key)
            entry["matches"] = [
                m for m in (index.describe(r, family) for r in reps[: max(1, limit)]) if m
            ]
            if entry["matches"]:
                entry["matches"][0]["precedent"] = True
        if entries:
            passages.append(
                {
                    "passage": p.get("id"),
                    "section": p.get("section"),
                    "kind": p.get("kind", "body"),
                    "heading": p.get("heading"),
                    "sentences": entries,
                }
            )
    ranked = sorted(by_source.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
    sources = []
    for rep, (n, c) in ranked[:MAX_SOURCES]:
        m = index.corpus[rep].meta
        sources.append(
            {
                **report_ref(m),
                "sentences": n,
                "chars": c,
                "share": share(c, chars["total"]),
            }
        )
    matched = chars["shared"] + chars["boilerplate"]
    rules = index.rules()
    rules["reports_indexed"] = n_reports
    return {
        "title": draft.get("title"),
        "township": draft.get("township"),
        "county": draft.get("county"),
        "year": draft.get("year"),
        "date": draft.get("date"),
        "sentences": totals["sentences"],
        "shared": totals["shared"],
        "boilerplate": totals["boilerplate"],
        "new": totals["new"],
        "overlap": share(matched, chars["total"]),
        "overlap_own": share(chars["shared"], chars["total"]),
        "chars": chars,
        "sources": sources,
        "sources_total": len(by_source),
        "parts": [
            {k: part[k] for k in ("key", "label", "present", "how", "passages", "heading")}
            for part in report_parts(draft.get("passages") or [])
        ],
        "passages": passages,
        "complete": complete,
        "rules": rules,
        "took_ms": round((time.perf_counter() - t0) * 1000, 1),
    }
