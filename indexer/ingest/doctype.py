"""What a document is (its ``kind``) and whose it is (its ``level``).

``kind`` — a small vocabulary, so that a user can keep to the annual reports:

* ``annual_report``: the annual report on building rule-of-law government
  (法治政府建设年度报告, …情况的报告, …工作报告, …工作总结);
* ``policy_interpretation``: a 政策解读 / 文件解读 of such a report or another document;
* ``work_plan``: 工作要点, 工作计划, 实施方案, 工作方案, 任务分工;
* ``assessment_plan``: 考核方案, 考核细则, 考评细则, 评分标准, 考核办法;
* ``disclosure_report``: 政府信息公开工作年度报告 (the other yearly report on the same sites);
* ``other``: a document that is none of these (rules, notices, …);
* None: nothing to tell (no title and no telling opening).

``level`` — whose document it is: ``township``, ``county`` (county-level units:
county, district, county-level city, banner), ``city`` (prefecture level),
``province`` (including the four municipalities' own reports) or ``department``
(a government department or office: 司法局, 市场监管局, 办公室…). It is read
from the title's (or issuing body's, or opening sentence's) subject, else from
how the text speaks of itself (我镇, 全县, 我市…); None when neither tells.
"""

from __future__ import annotations

import re

_INTERPRETATION = re.compile(r"解读|答记者问|图解")
_DISCLOSURE = re.compile(r"政府信息公开(?:工作)?(?:年度)?(?:报告|年报)|政务公开工作年度报告")
_ASSESSMENT = re.compile(
    r"考核(?:方案|细则|办法|指标|标准)|考评(?:细则|办法|方案)|评分(?:标准|细则)"
)
_PLAN = re.compile(r"工作要点|工作计划|实施方案|工作方案|任务分工|推进计划|行动方案")
_RULE_OF_LAW = re.compile(r"法治(?:政府)?建设|依法行政|法治工作|依法治[镇乡区县市省街]")
_REPORT = re.compile(r"报告|总结|汇报|情况$|述职")
#: an opening that announces a report ("现将…情况报告如下")
_REPORTS_BELOW = re.compile(r"(?:报告|汇报|总结)如下|报告如下|情况报告")


def document_kind(title: str | None, opening: str = "", parts: bool = False) -> str | None:
    """The kind of a document from its title, else from its opening paragraph.

    ``parts``: the body has parts named like Art. 25's (举措和成效, 存在的不足…).
    """
    if title:
        if _INTERPRETATION.search(title):
            return "policy_interpretation"
        if _DISCLOSURE.search(title):
            return "disclosure_report"
        if _ASSESSMENT.search(title):
            return "assessment_plan"
        if _PLAN.search(title) and not _REPORT.search(title):
            return "work_plan"
        if _RULE_OF_LAW.search(title) and _REPORT.search(title):
            return "annual_report"
        if not _RULE_OF_LAW.search(title) or not opening:
            return "other"
    if opening:
        if _DISCLOSURE.search(opening[:300]):
            return "disclosure_report"
        if _RULE_OF_LAW.search(opening) and (parts or _REPORTS_BELOW.search(opening)):
            return "annual_report"
    return "other" if title else None


_DEPARTMENT = re.compile(
    r"(?:局|厅|办公室|办|委员会|中心|法院|检察院|支队|大队|管理处|管理所|司法所|事务所)$"
)
_NOT_DEPARTMENT = re.compile(r"人民政府|党委|党工委|县委|区委|市委|省委|人大|办事处|街道办$")

#: how a text speaks of itself, by level: 我镇 全镇 本乡 我街道 …
_SELF = {
    "township": re.compile(r"[我全本](?:镇|乡|街道|街)(?![级长委政])|(?:镇|乡)党委|街道党工委"),
    "county": re.compile(r"[我全本](?:县|区|旗)(?![级长委政域内外])"),
    "city": re.compile(r"[我全本]市(?![级长委政场民])"),
    "province": re.compile(r"[我全本]省(?![级长委政])"),
}


def subject_department(name: str | None) -> bool:
    """A title's or issuer's subject that is a department: XX县司法局, XX区政府办公室."""
    if not name:
        return False
    return bool(_DEPARTMENT.search(name)) and not _NOT_DEPARTMENT.search(name)


def level_from_self(text: str) -> str | None:
    """The level a text speaks for (我镇/全镇 → township), if one clearly leads."""
    counts = {level: len(rx.findall(text)) for level, rx in _SELF.items()}
    best = max(counts.values())
    if best < 2:
        return None
    top = [level for level, n in counts.items() if n == best]
    return top[0] if len(top) == 1 else None
