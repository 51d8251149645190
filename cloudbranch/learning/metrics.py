"""Learning metrics (学习教育, SPEC §9).

* ``learning.study_seconds``: ``StudyDay.seconds`` by day, in the person's CURRENT unit.
* ``learning.task_assignments`` / ``learning.task_completed``: ``TaskAssignee`` rows of study tasks
  (not cancelled) whose DEADLINE falls in the period, in the assignee row's unit (the person's unit
  when the task was assigned — the object's own unit, kept on the row); completed = has a
  ``completed_at`` (late completions included).
* ``learning.exam_attempts`` / ``exam_passed`` / ``exam_score_sum``: EVERY graded attempt (submitted
  or expired with a score), dated by ``submitted_at`` (local date), in the person's current unit;
  a resit is another attempt (the figures measure exam activity; best-per-person would need a
  window query per paper). The score is on a 100-point scale (score × 100 ÷ the paper's maximum)
  so that papers of different sizes average together: ``learning.exam_average`` =
  score sum ÷ attempts.
Each compute is one grouped query.
"""

from __future__ import annotations

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from cloudbranch.core.metric_queries import flow
from cloudbranch.core.metrics import FLOW, Metric, register

from .choices import TaskStatus
from .models import Attempt, StudyDay, TaskAssignee


def _assignees():
    return TaskAssignee.objects.exclude(task__status=TaskStatus.CANCELLED)


def _graded():
    return Attempt.objects.filter(score__isnull=False, submitted_at__isnull=False, max_score__gt=0)


def _percent():
    return Sum(
        ExpressionWrapper(F("score") * 100 / F("max_score"), output_field=DecimalField(max_digits=12, decimal_places=2))
    )


_ATTEMPT_SOURCES = {"learning.Attempt": "person.unit_id"}
_TASK_SOURCES = {"learning.TaskAssignee": "unit_id"}

register(
    Metric(
        key="learning.study_seconds",
        label="学习时长",
        area="learning",
        kind=FLOW,
        unit="秒",
        sources={"learning.StudyDay": "person.unit_id"},
        description="期内在线学习累计秒数（按学习日），计入学习者当前所在党组织。",
        **flow(StudyDay.objects.all, unit="person__unit_id", day="day", value=lambda: Sum("seconds")),
    )
)

register(
    Metric(
        key="learning.task_assignments",
        label="学习任务人次",
        area="learning",
        kind=FLOW,
        unit="人次",
        sources=_TASK_SOURCES,
        description="截止日期在期内的学习任务（已取消的除外）分配人次，计入分配时该人员所在党组织。",
        **flow(_assignees, unit="unit_id", day="task__deadline"),
    )
)

register(
    Metric(
        key="learning.task_completed",
        label="完成学习任务人次",
        area="learning",
        kind=FLOW,
        unit="人次",
        sources=_TASK_SOURCES,
        description="截止日期在期内的学习任务中已完成的人次（逾期完成也计入），计入分配时该人员所在党组织。",
        **flow(
            _assignees,
            unit="unit_id",
            day="task__deadline",
            value=lambda: Count("pk", filter=Q(completed_at__isnull=False)),
        ),
    )
)

register(
    Metric(
        key="learning.exam_attempts",
        label="参加考试人次",
        area="learning",
        kind=FLOW,
        unit="人次",
        sources=_ATTEMPT_SOURCES,
        description="期内交卷（含超时自动交卷）并已评分的每一次考试作答，计入考生当前所在党组织；补考另计一次。",
        **flow(_graded, unit="person__unit_id", day="submitted_at", aware=True),
    )
)

register(
    Metric(
        key="learning.exam_passed",
        label="考试合格人次",
        area="learning",
        kind=FLOW,
        unit="人次",
        sources=_ATTEMPT_SOURCES,
        description="期内已评分的考试作答中合格的次数，计入考生当前所在党组织。",
        **flow(
            _graded,
            unit="person__unit_id",
            day="submitted_at",
            aware=True,
            value=lambda: Count("pk", filter=Q(passed=True)),
        ),
    )
)

register(
    Metric(
        key="learning.exam_score_sum",
        label="考试成绩合计（百分制）",
        area="learning",
        kind=FLOW,
        unit="分",
        sources=_ATTEMPT_SOURCES,
        description="期内已评分考试作答的成绩之和，每次折算为百分制（得分 × 100 ÷ 试卷满分），计入考生当前所在党组织。",
        **flow(_graded, unit="person__unit_id", day="submitted_at", aware=True, value=_percent),
    )
)

register(
    Metric(
        key="learning.task_completion_rate",
        label="学习任务完成率",
        area="learning",
        kind=FLOW,
        unit="%",
        numerator="learning.task_completed",
        denominator="learning.task_assignments",
        description="完成学习任务人次 ÷ 学习任务人次。",
    )
)

register(
    Metric(
        key="learning.exam_pass_rate",
        label="考试合格率",
        area="learning",
        kind=FLOW,
        unit="%",
        numerator="learning.exam_passed",
        denominator="learning.exam_attempts",
        description="考试合格人次 ÷ 参加考试人次。",
    )
)

register(
    Metric(
        key="learning.exam_average",
        label="考试平均分（百分制）",
        area="learning",
        kind=FLOW,
        unit="分",
        numerator="learning.exam_score_sum",
        denominator="learning.exam_attempts",
        scale=1,
        description="考试成绩合计 ÷ 参加考试人次。",
    )
)
