"""Township-level divisions of China (乡/镇/街道): the names a text gives, and where they lie.

The table ``data/townships.tsv`` (about 41,000 townships from the statistical
division codes, see ``scripts/make_gazetteer.py``) lists each county-level unit's
townships. It is read on first use and kept for the life of the process; the
county codes it gives are those of :mod:`indexer.ingest.gazetteer`.

Names are matched whole, in simplified characters, and only with a township's
ending (镇, 乡, 街道, 苏木; a name written ``XX街`` is the table's ``XX街道``).
Two-character names (新镇) read as words too and count only where the text
anchors them (新镇人民政府). Words that merely end like a township (新型城镇化,
住房和城乡建设, 各乡镇) are not in the table and are never taken for one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "townships.tsv"

#: the endings of township names matched in running text
ENDINGS = ("街道", "镇", "乡", "苏木")
#: what may follow a township's name to anchor it as the name of a body
ANCHOR = re.compile(
    r"^(?:人民政府|人民代表大会|人大|党委|党工委|委员会|办事处|政府|街道办|党政办|综治办|司法所|委)"
)
#: two-character stems of township names that are everyday words (建设镇, 和平镇): such a
#: name counts only at the start of a phrase or right after a county's or city's name,
#: not inside prose ("…法治政府建设镇党委…")
WORD_STEMS = frozenset(
    "发展 地方 人民 文化 市场 工业 建设 中心 民族 计划 资源 工程 建筑 统一 先进 合作 公民 "
    "劳动 土地 交通 工人 安全 胜利 长期 联合 民主 重新 和平 青年 平原 广场 爱国 健康 平等 "
    "解放 创新 集体 更新 平台 阳光 幸福 团结 电力 化工 纺织 石油 上升 第一 第二 第三 第四 "
    "比如 高兴 留下 点头 大桥 公园 黄金 建国".split()
)
_ADMIN_END = frozenset("县区市旗州盟")


def _han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff"


class Townships:
    """Look-ups over one table of townships (name → county codes)."""

    def __init__(self, rows: dict[str, list[str]]) -> None:
        self.counties: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in rows.items()}
        self._scan = {n for n in self.counties if n.endswith(ENDINGS)}
        self._max = max((len(n) for n in self._scan), default=0)

    @classmethod
    def from_file(cls, path: Path = DATA_FILE) -> Townships:
        rows: dict[str, list[str]] = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or "\t" not in line:
                    continue
                code, _, towns = line.rstrip("\n").partition("\t")
                for item in towns.split(","):
                    codes = rows.setdefault(item[3:], [])
                    if code not in codes:
                        codes.append(code)
        return cls(rows)

    def canonical(self, name: str) -> str | None:
        """The table's spelling of a township name: itself, or ``XX街道`` for ``XX街``."""
        if name in self.counties:
            return name
        if name.endswith("街") and name + "道" in self.counties:
            return name + "道"
        return None

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Township names in ``text`` as ``(name, start, end)``: the longest name
        ending at each township ending, left to right, not overlapping; ``name``
        is the table's spelling (``鹤龙街`` gives ``鹤龙街道``)."""
        out: list[tuple[str, int, int]] = []
        n = len(text)
        for i, ch in enumerate(text):
            if ch not in "镇乡道木街":
                continue
            if ch == "街" and i + 1 < n and text[i + 1] in "道街":
                continue  # the 道 after it ends the name (北城街街道: the last 街道)
            end = i + 1
            hit = None
            floor = out[-1][2] if out else 0
            for k in range(min(self._max, end - floor), 1, -1):
                start = end - k
                piece = text[start:end]
                name = piece if piece in self._scan else None
                if name is None and ch == "街" and piece + "道" in self._scan:
                    name = piece + "道"
                if name is None:
                    continue
                if len(piece) == 2 and not ANCHOR.match(text[end : end + 6]):
                    continue
                if len(name) - len(_ending(name)) == 2 and name[:2] in WORD_STEMS:
                    before = text[start - 1] if start else ""
                    if _han(before) and before not in _ADMIN_END:
                        continue
                hit = (name, start, end)
                break
            if hit:
                out.append(hit)
        return out


def _ending(name: str) -> str:
    return next(e for e in ENDINGS if name.endswith(e))


@lru_cache(maxsize=1)
def townships() -> Townships:
    """The shared table, loaded from ``data/townships.tsv`` on first call."""
    return Townships.from_file()


def township_counties(name: str) -> tuple[str, ...]:
    """The county codes of every township called ``name`` (several for 城关镇)."""
    t = townships()
    canonical = t.canonical(name)
    return t.counties.get(canonical, ()) if canonical else ()


def find_townships(text: str) -> list[tuple[str, int, int]]:
    """Township names in ``text``: see :meth:`Townships.find`."""
    return townships().find(text)


def canonical_township(name: str) -> str | None:
    """The table's spelling of ``name`` (鹤龙街 → 鹤龙街道), None if it is not a township."""
    return townships().canonical(name)
