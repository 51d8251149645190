"""Learning (党员教育, SPEC §3): resources and topics, study tracking, study tasks, the question
bank, exams, the daily quiz, contests and head-to-head duels, the wrong-answer book.

Points for learning go through ``cloudbranch.points`` (ledger + rules as data). A member sees
what units publish for their own unit's subtree or for the whole school; managers manage what
their grants cover (``scope_path``).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import ScopedQuerySet
from cloudbranch.people.models import Person

from .choices import (
    AnswerSource,
    Area,
    AttemptStatus,
    Audience,
    Column,
    ContestMode,
    Difficulty,
    DuelStatus,
    PaperMode,
    PublishStatus,
    QuestionKind,
    QuestionStatus,
    ResourceKind,
    TaskStatus,
)


class KnowledgePoint(models.Model):
    """A knowledge point (知识点): the tag shared by resources and questions, and the unit of
    mastery and recommendations."""

    name = models.CharField(_("知识点"), max_length=60, unique=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("知识点")
        verbose_name_plural = _("知识点")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


def resource_path(instance, filename: str) -> str:
    return f"learning/{timezone.now():%Y/%m}/{secrets.token_hex(8)}-{filename[-80:]}"


class Resource(models.Model):
    """An article, video, audio, PDF or external link published by ``unit`` for its subtree or
    the whole school. Completion: reading ``min_seconds`` (articles, PDFs, links) or watching
    ``min_percent`` of the media (video, audio)."""

    scope_path = "unit__path"

    kind = models.CharField(_("类型"), max_length=16, choices=ResourceKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    body = models.TextField(_("正文"), blank=True, help_text=_("富文本，保存时清理"))
    file = models.FileField(_("文件"), upload_to=resource_path, max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    external_url = models.URLField(_("外部链接"), max_length=500, blank=True)
    duration_seconds = models.PositiveIntegerField(_("时长（秒）"), default=0)
    column = models.CharField(_("栏目"), max_length=16, choices=Column.choices)
    area = models.CharField(_("建设领域"), max_length=16, choices=Area.choices, blank=True)
    knowledge_points = models.ManyToManyField(KnowledgePoint, blank=True, related_name="resources")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布组织"))
    audience = models.CharField(_("可见范围"), max_length=16, choices=Audience.choices, default=Audience.SUBTREE)
    status = models.CharField(_("状态"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    author = models.CharField(_("作者或来源"), max_length=100, blank=True)
    min_seconds = models.PositiveIntegerField(_("完成所需阅读时长（秒）"), default=60)
    min_percent = models.PositiveSmallIntegerField(_("完成所需观看比例（%）"), default=90)
    search_text = models.TextField(editable=False, blank=True, help_text="CJK bigrams of title, summary, body, tags")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("学习资源")
        verbose_name_plural = _("学习资源")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "column", "-published_at"]),
            models.Index(fields=["status", "-published_at"]),
        ]

    def __str__(self) -> str:
        return self.title


class Topic(models.Model):
    """A topic (专题) with an ordered reading list."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布组织"))
    audience = models.CharField(_("可见范围"), max_length=16, choices=Audience.choices, default=Audience.SUBTREE)
    title = models.CharField(_("专题名称"), max_length=200)
    description = models.TextField(_("简介"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    resources = models.ManyToManyField(Resource, through="TopicItem", related_name="topics")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("专题")
        verbose_name_plural = _("专题")
        ordering = ["-published_at", "-id"]


class TopicItem(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["topic_id", "position"]
        constraints = [models.UniqueConstraint(fields=["topic", "resource"], name="learning_topic_item_unique")]


class StudyProgress(models.Model):
    """A person's study of one resource: seconds actually spent (heartbeats while the page is
    visible, capped), the furthest media position reached, the resume position, completion."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="study_progress")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="progress")
    seconds = models.PositiveIntegerField(_("学习时长（秒）"), default=0)
    max_position = models.PositiveIntegerField(_("最远播放位置（秒）"), default=0)
    position = models.PositiveIntegerField(_("续播位置（秒）"), default=0)
    percent = models.PositiveSmallIntegerField(_("观看比例（%）"), default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    first_at = models.DateTimeField(default=timezone.now)
    last_beat_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("学习进度")
        verbose_name_plural = _("学习进度")
        constraints = [models.UniqueConstraint(fields=["person", "resource"], name="learning_progress_unique")]
        indexes = [models.Index(fields=["resource", "completed_at"])]


class StudyDay(models.Model):
    """Seconds studied per person and day: the study record and the yearly certificate of hours."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="study_days")
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="learning_study_day_unique")]


class StudyTask(models.Model):
    """A study task assigned by ``unit`` to its subtree or chosen people, with a deadline: read
    the resources and/or pass the exam. Assignees are frozen at assignment (``TaskAssignee``)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("布置组织"))
    title = models.CharField(_("任务名称"), max_length=200)
    description = models.TextField(_("要求"), blank=True)
    deadline = models.DateField(_("截止日期"))
    resources = models.ManyToManyField(Resource, blank=True, related_name="tasks")
    paper = models.ForeignKey("Paper", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("学习任务")
        verbose_name_plural = _("学习任务")
        ordering = ["-created_at", "-id"]


class TaskAssignee(models.Model):
    scope_path = "unit__path"

    task = models.ForeignKey(StudyTask, on_delete=models.CASCADE, related_name="assignees")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="study_tasks")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", help_text="the person's unit when assigned"
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "person"], name="learning_assignee_unique")]
        indexes = [models.Index(fields=["person", "completed_at"])]


class Question(models.Model):
    """A question of the bank. ``options``: list of option texts (choice questions; a judge
    question has ["正确", "错误"]); ``answer``: list of correct option indexes (choice, judge) or,
    for fill-in, one list of accepted texts per blank (``[["为人民服务"], ["党章", "中国共产党章程"]]``)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属组织"))
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices)
    stem = models.TextField(_("题干"))
    options = models.JSONField(_("选项"), default=list, blank=True)
    answer = models.JSONField(_("答案"))
    explanation = models.TextField(_("解析"), blank=True)
    difficulty = models.PositiveSmallIntegerField(_("难度"), choices=Difficulty.choices, default=Difficulty.MEDIUM)
    knowledge_points = models.ManyToManyField(KnowledgePoint, blank=True, related_name="questions")
    status = models.CharField(_("状态"), max_length=16, choices=QuestionStatus.choices, default=QuestionStatus.ACTIVE)
    source = models.CharField(_("出处"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "kind", "difficulty"])]


class Paper(models.Model):
    """An exam paper: questions chosen by hand (``PaperQuestion``) or drawn per attempt by
    ``rules`` = [{"kind", "count", "points", "knowledge_point" (id, optional), "difficulty"
    (optional)}]. The time limit is enforced on the server (``Attempt.deadline_at``)."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("组织单位"))
    title = models.CharField(_("考试名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    mode = models.CharField(_("组卷方式"), max_length=16, choices=PaperMode.choices, default=PaperMode.MANUAL)
    rules = models.JSONField(_("随机组卷规则"), default=list, blank=True)
    audience = models.CharField(_("参加范围"), max_length=16, choices=Audience.choices, default=Audience.SUBTREE)
    time_limit_minutes = models.PositiveSmallIntegerField(_("限时（分钟）"), default=30)
    attempts_allowed = models.PositiveSmallIntegerField(_("允许作答次数"), default=1)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("结束时间"))
    pass_score = models.DecimalField(_("及格分"), max_digits=6, decimal_places=1, default=60)
    shuffle_questions = models.BooleanField(_("题目乱序"), default=True)
    shuffle_options = models.BooleanField(_("选项乱序"), default=True)
    status = models.CharField(_("状态"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT)
    questions = models.ManyToManyField(Question, through="PaperQuestion", related_name="papers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("考试")
        verbose_name_plural = _("考试")
        ordering = ["-opens_at", "-id"]


class PaperQuestion(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=5, decimal_places=1, default=1)

    class Meta:
        ordering = ["paper_id", "position"]
        constraints = [models.UniqueConstraint(fields=["paper", "question"], name="learning_paper_question_unique")]


class Attempt(models.Model):
    """One sitting of a paper. ``items`` freezes what this person got: [{"question": id,
    "points": "2.0", "order": [option indexes as shown]}]; ``answers`` is autosaved
    {question id: response}; grading writes ``AnswerRecord`` rows and the score."""

    scope_path = "person__unit__path"

    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="attempts")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="exam_attempts")
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS)
    started_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    items = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    max_score = models.DecimalField(max_digits=6, decimal_places=1, default=0)
    passed = models.BooleanField(null=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("考试作答")
        verbose_name_plural = _("考试作答")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "person", "number"], name="learning_attempt_number_unique")
        ]


class AnswerRecord(models.Model):
    """Every graded answer, whatever its source: the wrong-answer book, the mastery estimate per
    knowledge point and item analysis read these rows."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answer_records")
    source = models.CharField(max_length=16, choices=AnswerSource.choices)
    source_id = models.PositiveIntegerField()
    response = models.JSONField(default=list, blank=True)
    correct = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["person", "question"]),
            models.Index(fields=["question", "correct"]),
            models.Index(fields=["source", "source_id"]),
        ]


class WrongAnswer(models.Model):
    """The wrong-answer book (错题本): one row per person and question answered wrongly; it
    leaves the book when answered right again in review (``mastered_at``)."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="wrong_answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    times = models.PositiveIntegerField(default=1)
    last_wrong_at = models.DateTimeField(default=timezone.now)
    mastered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "question"], name="learning_wrong_unique")]
        ordering = ["-last_wrong_at", "-id"]


class DailyQuiz(models.Model):
    """每日答题: five questions per person and day."""

    scope_path = "person__unit__path"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="daily_quizzes")
    day = models.DateField()
    items = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    correct = models.PositiveSmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="learning_daily_unique")]
        ordering = ["-day"]


class Contest(models.Model):
    """知识竞赛 over a period: each participant answers ``question_count`` questions drawn by
    ``rules`` once; individuals or branches (team score = mean of members' best) ranked live."""

    scope_path = "unit__path"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("主办组织"))
    title = models.CharField(_("竞赛名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    mode = models.CharField(_("形式"), max_length=16, choices=ContestMode.choices, default=ContestMode.INDIVIDUAL)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    question_count = models.PositiveSmallIntegerField(_("题目数"), default=10)
    seconds_per_question = models.PositiveSmallIntegerField(_("每题限时（秒）"), default=20)
    rules = models.JSONField(_("出题规则"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PublishStatus.choices, default=PublishStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("知识竞赛")
        verbose_name_plural = _("知识竞赛")
        ordering = ["-starts_at", "-id"]


class ContestEntry(models.Model):
    scope_path = "person__unit__path"

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contest_entries")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", help_text="the branch when entering")
    items = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)
    correct = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveIntegerField(default=0)
    seconds_used = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contest", "person"], name="learning_contest_entry_unique")]
        indexes = [models.Index(fields=["contest", "-score", "seconds_used"])]


class Duel(models.Model):
    """A head-to-head: both answer the same questions against the clock; the page polls the
    state (HTMX) and updates without reload."""

    scope_path = "challenger__unit__path"

    contest = models.ForeignKey(Contest, null=True, blank=True, on_delete=models.SET_NULL, related_name="duels")
    challenger = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="duels_started")
    opponent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="duels_received")
    status = models.CharField(max_length=16, choices=DuelStatus.choices, default=DuelStatus.WAITING)
    items = models.JSONField(default=list)
    seconds_per_question = models.PositiveSmallIntegerField(default=15)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    challenger_score = models.PositiveSmallIntegerField(default=0)
    opponent_score = models.PositiveSmallIntegerField(default=0)
    winner = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]


class DuelAnswer(models.Model):
    duel = models.ForeignKey(Duel, on_delete=models.CASCADE, related_name="answers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    index = models.PositiveSmallIntegerField()
    response = models.JSONField(default=list, blank=True)
    correct = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)
    seconds = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["duel", "person", "index"], name="learning_duel_answer_unique")]


class QuestionImportJob(models.Model):
    """One upload of a question bank spreadsheet into ``unit``: checked in full into a stored
    preview (nothing written), confirmed (re-checked against the preview's hashes, then created
    all-or-nothing) and undoable as a whole (see ``question_import``). Private to its creator.

    The file is kept in the database until the preview is confirmed, discarded, stale or expired.
    ``changes`` is the plan (one dict per question to create, in file order); ``undo_data`` holds
    the ids of the created questions and knowledge points and the questions' fingerprints after
    the write; it is never shown."""

    class Status(models.TextChoices):
        FAILED = "failed", _("有错误，未导入")
        PREVIEWED = "previewed", _("待确认")
        CONFIRMING = "confirming", _("正在导入")
        SUCCEEDED = "succeeded", _("已导入")
        STALE = "stale", _("预览已失效")
        EXPIRED = "expired", _("预览已过期")
        DISCARDED = "discarded", _("已放弃")
        UNDOING = "undoing", _("正在撤销")
        UNDONE = "undone", _("已撤销")

    # When the preview was stored: it may be confirmed for IMPORT_PREVIEW_TTL_HOURS (people.import_plan).
    preview_stamp = "finished_at"

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("导入到"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件名"), max_length=200)
    file_data = models.BinaryField(editable=False, default=b"")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    plan_sha256 = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=list, blank=True, editable=False)
    fingerprints = models.JSONField(default=dict, blank=True, editable=False)
    undo_data = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("试题导入")
        verbose_name_plural = _("试题导入")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="learning_qimport_mine_idx")]

    def __str__(self) -> str:
        return self.file_name
