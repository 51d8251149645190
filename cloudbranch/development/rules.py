"""The rule engine: pure functions over a rule set's steps and a case's records.

Nothing here touches the database; ``cases.py`` loads the rows, calls ``evaluate`` and
``check_recording`` and writes. Dates follow the way periods are counted in Chinese law
(民法典 第二百零一条–第二百零三条): a period of months or years ends on the corresponding day of the
final month, or on that month's last day when it has no such day. "At least one year after
2024-03-10" is therefore 2025-03-10, and one year after 2024-02-29 is 2025-02-28.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime
from collections.abc import Iterable, Mapping

PROBATION_END = "probation_end"


# ---------------------------------------------------------------------------------------------
# Date arithmetic


def add_months(d: datetime.date, months: int) -> datetime.date:
    """``d`` moved by ``months`` calendar months, clamped to the end of the target month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def add_period(d: datetime.date, period: Mapping[str, int]) -> datetime.date:
    """``period`` is {"years": n} | {"months": n} | {"days": n} (several keys add up)."""
    months = int(period.get("years", 0)) * 12 + int(period.get("months", 0))
    result = add_months(d, months) if months else d
    return result + datetime.timedelta(days=int(period.get("days", 0)))


def describe_period(period: Mapping[str, int]) -> str:
    parts = []
    if period.get("years"):
        parts.append(f"{period['years']} 年")
    if period.get("months"):
        parts.append(f"{abs(period['months'])} 个月")
    if period.get("days"):
        parts.append(f"{abs(period['days'])} 天")
    return "".join(parts) or "当日"


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Full years of age on ``day`` (a person born on 29 February turns a year older on 1 March
    in common years)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_workday(d: datetime.date, overrides: Mapping[datetime.date, bool]) -> bool:
    if d in overrides:
        return overrides[d]
    return d.weekday() < 5


def workdays_end(start: datetime.date, workdays: int, overrides: Mapping[datetime.date, bool]) -> datetime.date:
    """The last day of a period of ``workdays`` working days beginning on ``start`` (``start``
    counts when it is itself a working day)."""
    if workdays < 1:
        raise ValueError("workdays must be at least 1")
    d = start
    counted = 0
    while True:
        if is_workday(d, overrides):
            counted += 1
            if counted == workdays:
                return d
        d += datetime.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Votes (第二十条, 第三十三条)


@dataclasses.dataclass(frozen=True)
class Vote:
    entitled: int  # 应到会有表决权的正式党员
    present: int  # 实到会有表决权的正式党员
    written: int  # 因故不能到会、会前正式提出书面意见的
    in_favour: int  # 赞成（含书面意见中的赞成）
    against: int
    abstain: int

    @classmethod
    def from_data(cls, data: Mapping) -> Vote:
        return cls(**{f.name: int(data.get(f.name) or 0) for f in dataclasses.fields(cls)})


def check_vote(vote: Vote) -> list[str]:
    """Errors of a branch general meeting's vote on admission or confirmation; empty = valid and passed."""
    errors = []
    if vote.entitled < 1:
        return ["应到会有表决权的正式党员人数必须大于 0。"]
    for name, value in dataclasses.asdict(vote).items():
        if value < 0:
            return [f"票数不能为负数（{name}）。"]
    if vote.present > vote.entitled:
        errors.append(f"实到会人数（{vote.present}）不能超过应到会人数（{vote.entitled}）。")
    if vote.present + vote.written > vote.entitled:
        errors.append(
            f"实到会人数与书面意见人数之和（{vote.present + vote.written}）不能超过应到会人数（{vote.entitled}）。"
        )
    cast = vote.in_favour + vote.against + vote.abstain
    if cast > vote.present + vote.written:
        errors.append(
            f"赞成、反对、弃权合计（{cast}）超过了到会人数与书面意见人数之和（{vote.present + vote.written}）。"
        )
    if errors:
        return errors
    if vote.present * 2 <= vote.entitled:
        errors.append(
            f"到会人数不足：有表决权的到会人数（{vote.present}）必须超过应到会有表决权人数（{vote.entitled}）的半数"
            "（发展党员工作细则 第二十条）。"
        )
    if vote.in_favour * 2 <= vote.entitled:
        errors.append(
            f"表决未通过：赞成票（{vote.in_favour}）必须超过应到会有表决权的正式党员（{vote.entitled}）的半数，"
            "而不是到会人数的半数（发展党员工作细则 第二十条）。"
        )
    return errors


# ---------------------------------------------------------------------------------------------
# Evaluating a case


@dataclasses.dataclass
class StepState:
    step: object  # RuleStep (or any object with the same attributes)
    records: list  # valid records of this step, oldest first (reset ones excluded)
    done: bool = False
    available: bool = False  # all prerequisites done
    missing: list = dataclasses.field(default_factory=list)  # names of prerequisites not yet done
    earliest: datetime.date | None = None  # refused before
    due: datetime.date | None = None  # later needs a written reason
    limit: datetime.date | None = None  # refused after
    active: bool = False  # something is (still) expected: available and not done, or a repeatable step in progress
    sources: list = dataclasses.field(default_factory=list)

    @property
    def code(self) -> str:
        return self.step.code

    @property
    def last(self):
        return self.records[-1] if self.records else None

    def overdue(self, today: datetime.date) -> bool:
        return self.active and self.due is not None and self.due < today


@dataclasses.dataclass
class CaseState:
    steps: dict  # code -> StepState, in rule order
    probation_end: datetime.date | None
    stage: int
    last_number: int
    next: StepState | None  # the step most urgently expected
    next_due: datetime.date | None

    def __getitem__(self, code: str) -> StepState:
        return self.steps[code]

    def active(self) -> list[StepState]:
        return [s for s in self.steps.values() if s.active]


def probation_end(admission_date: datetime.date | None, probation_months: int, extension_months: int):
    if admission_date is None:
        return None
    return add_months(admission_date, probation_months + extension_months)


def evaluate(
    steps: Iterable,
    records: Iterable,
    *,
    probation_months: int = 12,
    extension_months: int = 0,
    extended_on: datetime.date | None = None,
    closed: bool = False,
) -> CaseState:
    """The state of every step of a case.

    ``steps``: the rule set's steps (objects with code, number, stage, name, prerequisites,
    intervals, requirements, repeatable, sets_status). ``records``: the case's *valid* records
    (objects with ``step_id`` or ``step`` and ``occurred_on``). After a probation extension
    (``extended_on``), records of steps anchored on the end of probation made before it no
    longer count: the confirmation is applied for and voted on again.
    """
    steps = sorted(steps, key=lambda s: s.number)
    by_id = {getattr(s, "id", None): s for s in steps}
    by_code = {s.code: s for s in steps}
    reset_codes = {s.code for s in steps if any(i.get("from") == PROBATION_END for i in (s.intervals or []))}
    grouped: dict[str, list] = {s.code: [] for s in steps}
    for record in records:
        step = getattr(record, "step", None) or by_id.get(record.step_id)
        if step is None or step.code not in grouped:
            continue
        if extended_on and step.code in reset_codes and record.occurred_on <= extended_on:
            continue
        grouped[step.code].append(record)
    for recs in grouped.values():
        recs.sort(key=lambda r: (r.occurred_on, getattr(r, "sequence", 0), getattr(r, "id", 0) or 0))

    states = {s.code: StepState(step=s, records=grouped[s.code], done=bool(grouped[s.code])) for s in steps}
    vote = by_code.get("admission_vote")
    admission = states[vote.code].records[-1].occurred_on if vote and states[vote.code].records else None
    p_end = probation_end(admission, probation_months, extension_months)

    def anchor(code: str):
        if code == PROBATION_END:
            return p_end
        state = states.get(code)
        return state.records[-1].occurred_on if state and state.records else None

    # A later step that changes the political status ends a repeatable step's duty.
    status_numbers = sorted(s.number for s in steps if s.sets_status)
    done_numbers = {s.number for s in steps if states[s.code].done}

    for s in steps:
        st = states[s.code]
        st.missing = [by_code[p].name for p in (s.prerequisites or []) if p in by_code and not states[p].done]
        st.available = not st.missing
        for interval in s.intervals or []:
            base = anchor(interval.get("from"))
            st.sources.append(interval.get("source", ""))
            if base is None:
                continue
            if s.repeatable and st.records and interval.get("due"):
                # Every ``every_months`` from the last record.
                every = (s.requirements or {}).get("every_months")
                due = add_months(st.records[-1].occurred_on, every) if every else add_period(base, interval["due"])
            else:
                due = add_period(base, interval["due"]) if interval.get("due") else None
            if interval.get("min"):
                earliest = add_period(base, interval["min"])
                st.earliest = max(st.earliest, earliest) if st.earliest else earliest
            if due:
                st.due = min(st.due, due) if st.due else due
            if interval.get("limit"):
                limit = add_period(base, interval["limit"])
                st.limit = min(st.limit, limit) if st.limit else limit
        # Never before the prerequisites themselves.
        for p in s.prerequisites or []:
            base = anchor(p)
            if base and (st.earliest is None or base > st.earliest):
                st.earliest = base
        if closed:
            st.active = False
        elif s.repeatable:
            later_status = [n for n in status_numbers if n > s.number]
            ended = bool(later_status) and later_status[0] in done_numbers
            st.active = st.available and not ended
        else:
            st.active = st.available and not st.done

    active = [st for st in states.values() if st.active]
    dated = [st for st in active if st.due]
    undone = [st for st in active if not st.done]
    if dated:
        next_state = min(dated, key=lambda st: (st.due, st.step.number))
    else:
        next_state = min(undone, key=lambda st: st.step.number) if undone else None
    last_number = max(done_numbers, default=0)
    # The stage reached: that of the furthest step done, or later when a step says so (the
    # committee's approval makes a probationary member: stage 5 begins).
    stage = steps[0].stage if steps else 1
    for s in steps:
        if states[s.code].done:
            stage = max(stage, s.stage, int((s.requirements or {}).get("enters_stage", 0)))
    return CaseState(
        steps=states,
        probation_end=p_end,
        stage=stage,
        last_number=last_number,
        next=next_state,
        next_due=min((st.due for st in dated), default=None),
    )


# ---------------------------------------------------------------------------------------------
# Checking a new record


@dataclasses.dataclass(frozen=True)
class Violation:
    message: str
    soft: bool = False  # allowed with a written reason (late_reason)
    field: str = "occurred_on"


def check_recording(
    state: CaseState,
    code: str,
    occurred_on: datetime.date,
    *,
    today: datetime.date,
    birth_date: datetime.date | None = None,
    expected_leave_on: datetime.date | None = None,
    data: Mapping | None = None,
) -> list[Violation]:
    """Every rule a new record of step ``code`` on ``occurred_on`` would break.

    Hard violations refuse the record; soft ones (a deadline passed, leaving within three
    months) are accepted only with a written reason. Checks that need other rows (sponsors are
    full members, the public notice period has ended) are made by the service.
    """
    data = data or {}
    st = state[code]
    step = st.step
    req = step.requirements or {}
    out: list[Violation] = []
    if occurred_on > today:
        out.append(Violation(f"日期 {occurred_on:%Y-%m-%d} 晚于今天，不能提前记录。"))
    if st.missing:
        out.append(
            Violation(f"“{step.name}”须在“{'”“'.join(st.missing)}”完成之后记录（前置步骤未完成）。", field="step")
        )
        return out
    if st.done and not step.repeatable:
        out.append(Violation(f"“{step.name}”已经记录过；如记录有误，请先撤销原记录。", field="step"))
        return out
    if step.repeatable and not st.active:
        # A later step changed the political status (e.g. the activist became a candidate):
        # this stage's assessments are over.
        out.append(Violation(f"“{step.name}”所在阶段已经结束，不能再记录。", field="step"))
        return out
    if step.repeatable and st.last and occurred_on <= st.last.occurred_on:
        out.append(Violation(f"本次“{step.name}”的日期须晚于上一次（{st.last.occurred_on:%Y-%m-%d}）。"))
    if st.earliest and occurred_on < st.earliest:
        rule = _rule_text(step, "min") or "不得早于前置步骤的日期"
        out.append(
            Violation(
                f"“{step.name}”最早可在 {st.earliest:%Y-%m-%d} 记录，所填日期 {occurred_on:%Y-%m-%d} 过早。依据：{rule}。"
            )
        )
    if st.limit and occurred_on > st.limit:
        rule = _rule_text(step, "limit")
        out.append(Violation(f"“{step.name}”最迟须在 {st.limit:%Y-%m-%d} 完成，已超过不得延长的期限。依据：{rule}。"))
    elif st.due and occurred_on > st.due:
        rule = _rule_text(step, "due")
        out.append(
            Violation(
                f"“{step.name}”应在 {st.due:%Y-%m-%d} 前完成，所填日期已逾期，请填写逾期说明。依据：{rule}。",
                soft=True,
                field="late_reason",
            )
        )
    if "min_age" in req and birth_date is not None and age_on(birth_date, occurred_on) < req["min_age"]:
        out.append(
            Violation(
                f"申请人在 {occurred_on:%Y-%m-%d} 未满 {req['min_age']} 周岁（出生于 {birth_date:%Y-%m-%d}），"
                "不能提出入党申请（发展党员工作细则 第五条）。"
            )
        )
    for other, count in (req.get("min_records") or {}).items():
        have = len(state[other].records) if other in state.steps else 0
        if have < count:
            out.append(
                Violation(
                    f"“{state[other].step.name}”至少需要 {count} 次记录，目前只有 {have} 次"
                    f"（每半年考察一次，一年以上的培养期应有 {count} 次）。",
                    field="step",
                )
            )
    if req.get("recommendation") and data.get("recommendation") not in req["recommendation"]:
        out.append(Violation(f"请选择推荐方式：{'、'.join(req['recommendation'])}。", field="recommendation"))
    if "training" in req:
        need = req["training"]
        days, hours = _number(data.get("days")), _number(data.get("hours"))
        if days < need["days"] and hours < need["hours"]:
            out.append(
                Violation(
                    f"集中培训时间不足：{days:g} 天、{hours:g} 学时；一般不少于 {need['days']} 天或不少于 {need['hours']} 个学时"
                    "（发展党员工作细则 第十七条）。",
                    field="days",
                )
            )
    if req.get("conclusion") and data.get("conclusion") != "passed":
        out.append(
            Violation(
                "政治审查结论须为“合格”；审查不合格的，不能发展入党，应终止发展（第十六条）。", field="conclusion"
            )
        )
    if req.get("decision") and data.get("decision") != "approved":
        out.append(Violation("此处记录党委同意的审批；党委不同意的，请终止发展并写明原因。", field="decision"))
    if req.get("vote"):
        try:
            vote = Vote.from_data(data)
        except (TypeError, ValueError):
            out.append(Violation("票数必须是整数。", field="vote"))
        else:
            out.extend(Violation(message, field="vote") for message in check_vote(vote))
    months = req.get("leaving_months")
    if months and expected_leave_on and expected_leave_on < add_months(occurred_on, months):
        out.append(
            Violation(
                f"预计 {expected_leave_on:%Y-%m-%d} 离校，{months} 个月内将离开学习、工作单位，一般不办理接收预备党员手续"
                "（发展党员工作细则 第十九条）；确需办理的，请填写说明。",
                soft=True,
                field="late_reason",
            )
        )
    return out


def _number(value) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _rule_text(step, key: str) -> str:
    for interval in step.intervals or []:
        if interval.get(key) is not None:
            return interval.get("source", "")
    return ""
