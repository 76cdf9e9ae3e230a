"""Places of the synthetic reports: counties from the gazetteer, invented townships, people.

Counties, cities and provinces come from ``indexer/data/divisions.tsv``; the
townships are invented (two characters no gazetteer name starts with, and a
unit), so a generated report never names a real one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from .. import ROOT

GAZETTEER = ROOT / "indexer" / "data" / "divisions.tsv"
YEARS = tuple(range(2019, 2026))
#: province codes whose townships do not publish these reports (Taiwan, Hong Kong, Macao)
OUTSIDE = ("71", "81", "82")


# ---------------------------------------------------------------- gazetteer


@dataclass(frozen=True)
class County:
    name: str
    city: str | None
    province: str
    #: another county-level division has the same name (the text must name the city)
    ambiguous: bool

    @property
    def unit(self) -> str:
        """县, 区, 市 or 旗: the word its own offices use (县委, 区委 …)."""
        return self.name[-1]

    @property
    def short(self) -> str:
        return self.name[:-1] if len(self.name) == 3 else self.name


def load_counties(path: Path = GAZETTEER) -> list[County]:
    """County-level divisions of the gazetteer with their city and province."""
    names: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")[:2]
            names[code] = name.strip()
    county_codes = [c for c in sorted(names) if c[4:] != "00" and c[:2] not in OUTSIDE]
    seen: dict[str, int] = {}
    for code in county_codes:
        seen[names[code]] = seen.get(names[code], 0) + 1
    counties = []
    for code in county_codes:
        name = names[code]
        if len(name) < 3 or name[-1] not in "县区市旗":
            continue
        province = names.get(code[:2] + "0000")
        if province is None:
            continue
        city = names.get(code[:4] + "00")
        counties.append(County(name, city, province, seen[name] > 1))
    return counties


def place_names(path: Path = GAZETTEER) -> set[str]:
    """Every name in the gazetteer (provinces, cities, counties)."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.add(line.split("\t")[1].strip())
    return out


def mentions_place(text: str, names: set[str]) -> bool:
    """Whether ``text`` names a division of the gazetteer (by its full name)."""
    for i, ch in enumerate(text):
        if ch in "省市县区州旗盟":
            for j in range(max(0, i - 9), i - 1):
                if text[j : i + 1] in names:
                    return True
    return False


# ---------------------------------------------------------------- townships

FIRST = "东西南北上下大小新老金银石青白黄红龙凤马桃李杨柳梅竹松柏花云平安和兴华丰宝永福康隆昌盛泰"
SECOND = "山水河湖江溪泉塘坪岭坑岗岩林田口桥店集营庄寨坝沟湾洲埠铺圩渡冲垭坊园堡"
UNITS = ("镇", "镇", "镇", "乡", "乡", "街道")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志文海斌红玉兰晓东雪梅林峰辉鹏飞凯宁"


@dataclass(frozen=True)
class Township:
    base: str  # e.g. 雷高
    unit: str  # 镇, 乡 or 街道
    county: County

    @property
    def name(self) -> str:
        return self.base + self.unit

    @property
    def office(self) -> str:
        """The issuing body: X镇人民政府, X乡人民政府 or X街道办事处."""
        return self.name + ("办事处" if self.unit == "街道" else "人民政府")


def township_bases(names: set[str]) -> list[str]:
    """Invented two-character township names that no gazetteer name starts with."""
    stems = {n[:2] for n in names}
    return [a + b for a in FIRST for b in SECOND if a != b and a + b not in stems]


def plan_reports(n: int, counties: list[County], bases: list[str], seed: int):
    """``n`` (township, report year) pairs: each township reports on a few years."""
    rng = random.Random(f"{seed}:plan")
    towns: set[tuple[str, str, County]] = set()
    pairs: list[tuple[Township, int]] = []
    while len(pairs) < n:
        key = (rng.choice(bases), rng.choice(UNITS), rng.choice(counties))
        if key in towns:
            continue
        towns.add(key)
        town = Township(*key)
        for year in sorted(rng.sample(YEARS, rng.randint(1, 6))):
            pairs.append((town, year))
    rng.shuffle(pairs)
    return pairs[:n]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
