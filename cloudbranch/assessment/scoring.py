"""The scoring rules of quantified assessment (量化考核): pure functions, no database.

* linear {target, floor=0}: a figure at or below ``floor`` scores 0, at or above ``target`` full
  marks, in between proportionally; rounded to 0.01 half-up.
* thresholds [{"min": x, "share": s}, ...] (stored sorted by ``min`` descending): the first band
  whose ``min`` the figure reaches gives ``share`` × full marks; below every band 0.
* manual: no automatic score (None) — the assessors enter it with evidence.
* no data (figure None, e.g. a ratio whose denominator is 0): 0, shown as "无数据".

A unit's total is the sum of its finals (the manual score where entered, else the automatic one;
a missing final counts 0). Ranks are competition ranks among the units of the same kind
(ties share a rank: 1, 2, 2, 4), ties listed in tree order (unit path).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NO_DATA = "无数据"
LINEAR, THRESHOLDS, MANUAL = "linear", "thresholds", "manual"
MAX_SCORE = Decimal("1000")


def _d(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def q(x) -> Decimal:
    """Round to 0.01, half-up."""
    return _d(x).quantize(CENT, rounding=ROUND_HALF_UP)


def _fmt(x) -> str:
    """A number for people: no trailing zeros ("95", "0.8", "12.5")."""
    s = format(_d(x), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s or "0"


# --- the rules ---------------------------------------------------------------------------------


def linear(value: Decimal, *, target, floor=0, max_score) -> Decimal:
    value, target, floor, max_score = _d(value), _d(target), _d(floor), _d(max_score)
    if value <= floor:
        return ZERO
    if value >= target:
        return q(max_score)
    return q(max_score * (value - floor) / (target - floor))


def thresholds(value: Decimal, *, bands, max_score) -> Decimal:
    value = _d(value)
    for band in sort_bands(bands):
        if value >= _d(band["min"]):
            return q(_d(max_score) * _d(band["share"]))
    return ZERO


def auto_score(rule: str, params: dict, max_score, value) -> Decimal | None:
    """The automatic score of a figure: None for a manual indicator, 0 when there is no figure."""
    if rule == MANUAL:
        return None
    if value is None:
        return ZERO
    if rule == LINEAR:
        return linear(value, target=params["target"], floor=params.get("floor", 0), max_score=max_score)
    if rule == THRESHOLDS:
        return thresholds(value, bands=params["bands"], max_score=max_score)
    raise ValueError(f"unknown rule {rule!r}")


def final(auto: Decimal | None, manual: Decimal | None) -> Decimal | None:
    """The manual score overrides the automatic one where entered."""
    return manual if manual is not None else auto


def total(finals: Iterable[Decimal | None]) -> Decimal:
    return q(sum((_d(f) for f in finals if f is not None), ZERO))


def explain(rule: str, params: dict, max_score, value, *, unit: str = "") -> str:
    """How the score was (or will be) computed, in words."""
    max_s = _fmt(max_score)
    if rule == MANUAL:
        return f"人工评分：由考核单位依据材料评定，满分 {max_s} 分。"
    if value is None:
        return f"{NO_DATA}：该期间没有可计算的数据，计 0 分。"
    shown = f"{_fmt(value)}{unit}"
    score = _fmt(auto_score(rule, params, max_score, value))
    if rule == LINEAR:
        target, floor = _d(params["target"]), _d(params.get("floor", 0))
        head = f"线性达标：不高于 {_fmt(floor)}{unit} 得 0 分，达到 {_fmt(target)}{unit} 得满分 {max_s} 分，其间按比例计分。"
        if _d(value) <= floor:
            return f"{head}本期 {shown}，不高于下限，得 0 分。"
        if _d(value) >= target:
            return f"{head}本期 {shown}，已达标，得 {score} 分。"
        return f"{head}本期 {shown}：{max_s} ×（{_fmt(value)} − {_fmt(floor)}）÷（{_fmt(target)} − {_fmt(floor)}）= {score} 分。"
    bands = sort_bands(params["bands"])
    table = "；".join(f"≥{_fmt(b['min'])}{unit} 得 {_fmt(_d(b['share']) * 100)}%" for b in bands)
    head = f"分档计分（{table}；以下 0 分）。"
    for b in bands:
        if _d(value) >= _d(b["min"]):
            return f"{head}本期 {shown}，达到 {_fmt(b['min'])}{unit} 档：{max_s} × {_fmt(b['share'])} = {score} 分。"
    return f"{head}本期 {shown}，未达到最低档，得 0 分。"


# --- parameters ----------------------------------------------------------------------------------


def sort_bands(bands) -> list[dict]:
    """Bands from the highest ``min`` down (the first band a figure reaches is its band)."""
    return sorted(bands, key=lambda b: _d(b["min"]), reverse=True)


def _number(raw, field: str, label: str, errors: list) -> Decimal | None:
    try:
        d = _d(raw)
    except (InvalidOperation, TypeError, ValueError):
        errors.append({"field": field, "message": f"{label}必须是数字"})
        return None
    if not d.is_finite():
        errors.append({"field": field, "message": f"{label}必须是数字"})
        return None
    return d


def clean_params(rule: str, params: dict | None) -> tuple[dict, list[dict]]:
    """Validated, normalized parameters of ``rule`` (numbers as strings for JSON; bands sorted)
    and the list of errors ({field, message}); fields are "target", "floor", "bands"."""
    params = params or {}
    errors: list[dict] = []
    if rule == MANUAL:
        return {}, errors
    if rule == LINEAR:
        if params.get("target") in (None, ""):
            return {}, [{"field": "target", "message": "请填写达标值"}]
        target = _number(params.get("target"), "target", "达标值", errors)
        floor = _number(params.get("floor") if params.get("floor") not in (None, "") else 0, "floor", "下限", errors)
        if errors:
            return {}, errors
        if target <= floor:
            return {}, [{"field": "target", "message": "达标值必须大于下限"}]
        return {"target": _fmt(target), "floor": _fmt(floor)}, errors
    if rule == THRESHOLDS:
        bands = params.get("bands")
        if not isinstance(bands, list) or not bands:
            return {}, [{"field": "bands", "message": "请至少设置一个分档"}]
        out = []
        for i, band in enumerate(bands, start=1):
            if not isinstance(band, dict):
                errors.append({"field": "bands", "message": f"第 {i} 档格式不正确"})
                continue
            low = _number(band.get("min"), "bands", f"第 {i} 档的下限", errors)
            share = _number(band.get("share"), "bands", f"第 {i} 档的得分比例", errors)
            if low is None or share is None:
                continue
            if not (Decimal(0) < share <= 1):
                errors.append({"field": "bands", "message": f"第 {i} 档的得分比例须在 0 到 1 之间（不含 0）"})
                continue
            out.append({"min": low, "share": share})
        if errors:
            return {}, errors
        out = sort_bands(out)
        mins = [b["min"] for b in out]
        if len(set(mins)) != len(mins):
            return {}, [{"field": "bands", "message": "分档下限不能重复"}]
        if any(a["share"] < b["share"] for a, b in zip(out, out[1:], strict=False)):
            return {}, [{"field": "bands", "message": "下限越高的分档，得分比例不能越低"}]
        return {"bands": [{"min": _fmt(b["min"]), "share": _fmt(b["share"])} for b in out]}, errors
    return {}, [{"field": "rule", "message": "未知的计分规则"}]


def describe_rule(rule: str, params: dict, *, unit: str = "") -> str:
    """The rule in a few words (for the set page and the export)."""
    if rule == LINEAR:
        return f"线性：{_fmt(params.get('floor', 0))}{unit} 得 0 分 → {_fmt(params['target'])}{unit} 满分"
    if rule == THRESHOLDS:
        return "分档：" + "，".join(
            f"≥{_fmt(b['min'])}{unit} 得 {_fmt(_d(b['share']) * 100)}%" for b in sort_bands(params["bands"])
        )
    return "人工评分"


# --- ranking -------------------------------------------------------------------------------------


def competition_ranks(entries: Iterable[tuple]) -> list[tuple]:
    """Competition ranking within each group.

    ``entries`` are (key, group, path, total); returns [(key, group, path, total, rank)] ordered
    by group, then total descending, then path (ties share a rank and are listed in tree order;
    the next rank skips: 1, 2, 2, 4)."""
    by_group: dict = defaultdict(list)
    for key, group, path, tot in entries:
        by_group[group].append((key, group, path, _d(tot)))
    out = []
    for group in sorted(by_group):
        rows = sorted(by_group[group], key=lambda r: (-r[3], r[2]))
        rank, previous = 0, None
        for position, row in enumerate(rows, start=1):
            if previous is None or row[3] != previous:
                rank, previous = position, row[3]
            out.append((*row, rank))
    return out
