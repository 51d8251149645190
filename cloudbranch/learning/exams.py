"""Exams (考试): papers, attempts with a server-side time limit, grading, results, statistics.

* A paper is built by hand (``PaperQuestion`` rows with points) or drawn at random per attempt by
  ``rules`` = [{kind, count, points, knowledge_point, difficulty}], checked against the bank of
  the paper's unit (its own questions and those of the units above it) when saved and published.
* Members take published papers whose audience covers their unit (``audience.visible_to_person``)
  inside the open window. Starting freezes the attempt: the questions (a seeded ``Random`` per
  paper, person and attempt number: reproducible, different for each attempt), their order and
  each question's option order (``Attempt.items``), and ``deadline_at = min(start + limit,
  closes_at)``. Pages and the API send option *positions as shown*; they are mapped back to the
  stored option indexes (``items[i]["order"]``) before they are saved, so grading never sees the
  shuffle.
* The server owns the clock: saving after ``deadline_at`` is refused (409); an attempt past its
  deadline is graded as expired on its next access, by ``expire_attempts`` (task and command).
* Grading writes ``AnswerRecord`` rows (source exam) and the wrong-answer book through
  ``wrongbook.record_answers``, the score, ``passed``, and points (``exam_pass``) when passed.
* Results: the score at once; the correct answers and explanations only after the paper closes.
* Statistics for managers: per child unit in one grouped query (each person's best attempt), and
  item analysis (share of wrong answers per question, the most chosen wrong option).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import random
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Avg, Case, Count, Exists, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.people.models import Person

from . import grading, hooks
from .audience import may_see, viewer_person, visible_to_person
from .choices import (
    AnswerSource,
    AttemptStatus,
    Audience,
    Difficulty,
    PaperMode,
    PublishStatus,
    QuestionKind,
)
from .drawing import NotEnoughQuestions, draw, option_order
from .models import AnswerRecord, Attempt, KnowledgePoint, Paper, PaperQuestion, Question
from .questions import LETTERS, bank_for_unit, blank_count

logger = logging.getLogger(__name__)

ADD = "learning.add_paper"
VIEW = "learning.view_paper"
GRADED = (AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED)
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.JUDGE)
SETTINGS_FIELDS = (
    "title",
    "description",
    "mode",
    "rules",
    "audience",
    "time_limit_minutes",
    "attempts_allowed",
    "opens_at",
    "closes_at",
    "pass_score",
    "shuffle_questions",
    "shuffle_options",
)
ALWAYS_EDITABLE = ("title", "description", "closes_at")
MAX_RULE_COUNT = 200
MAX_FILL_TEXT = 200
BUCKETS = [("<60%", None, 60), ("60–69%", 60, 70), ("70–79%", 70, 80), ("80–89%", 80, 90), ("≥90%", 90, None)]
KIND_LABELS = {k: str(label) for k, label in QuestionKind.choices}
DIFFICULTY_LABELS = {int(v): str(label) for v, label in Difficulty.choices}


def _now(now=None) -> datetime.datetime:
    return now or timezone.now()


def _dec(value, default="0") -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else default)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(f"“{value}”不是有效的分数") from None


# --- rules ---------------------------------------------------------------------------------


def rule_label(rule: dict, kp_names: dict[int, str] | None = None) -> str:
    """ "知识点‘党章’、难度“较难”的单选题"."""
    parts = []
    if rule.get("knowledge_point"):
        name = (kp_names or {}).get(int(rule["knowledge_point"])) or str(rule["knowledge_point"])
        parts.append(f"知识点‘{name}’")
    if rule.get("difficulty"):
        parts.append(f"难度“{DIFFICULTY_LABELS.get(int(rule['difficulty']), rule['difficulty'])}”")
    kind = KIND_LABELS.get(rule.get("kind") or "", "题目")
    return ("、".join(parts) + "的" if parts else "") + kind


def normalize_rules(rules) -> tuple[list[dict], list[dict]]:
    """Clean rule dicts and their errors ({field: "rules", row: n (1-based), message})."""
    clean, errors = [], []
    kp_ids = {int(r["knowledge_point"]) for r in rules or [] if str(r.get("knowledge_point") or "").isdigit()}
    known_kps = set(KnowledgePoint.objects.filter(pk__in=kp_ids).values_list("pk", flat=True)) if kp_ids else set()
    for n, raw in enumerate(rules or [], start=1):

        def err(message, n=n):
            errors.append({"field": "rules", "row": n, "message": f"第 {n} 条规则：{message}"})

        kind = raw.get("kind") or ""
        if kind and kind not in QuestionKind.values:
            err("题型无效")
        try:
            count = int(raw.get("count") or 0)
        except (TypeError, ValueError):
            count = -1
        if count < 1 or count > MAX_RULE_COUNT:
            err(f"题数应为 1～{MAX_RULE_COUNT}")
        try:
            points = Decimal(str(raw.get("points") or "0"))
        except InvalidOperation:
            points = Decimal(-1)
        if points <= 0 or points > 100:
            err("每题分值应大于 0 且不超过 100")
        kp = raw.get("knowledge_point") or None
        if kp is not None:
            if not str(kp).isdigit() or int(kp) not in known_kps:
                err("知识点不存在")
            kp = int(kp) if str(kp).isdigit() else None
        difficulty = raw.get("difficulty") or None
        if difficulty is not None:
            if str(difficulty) not in {str(v) for v in Difficulty.values}:
                err("难度应为容易、中等或较难")
                difficulty = None
            else:
                difficulty = int(difficulty)
        clean.append(
            {
                "kind": kind,
                "count": max(count, 0),
                "points": str(points.quantize(Decimal("0.1"))) if points > 0 else "0",
                "knowledge_point": kp,
                "difficulty": difficulty,
            }
        )
    return clean, errors


def _specificity(rule: dict) -> int:
    return bool(rule.get("knowledge_point")) + bool(rule.get("difficulty")) + bool(rule.get("kind"))


def draw_for_rules(rules: list[dict], *, rng: random.Random, base) -> list[tuple[int, int]]:
    """[(question id, rule index)], in rule order. The narrowest rules draw first so that a broad
    rule does not take the only questions a narrow one can use."""
    ordered = sorted(({**r, "_index": i} for i, r in enumerate(rules)), key=lambda r: (-_specificity(r), r["_index"]))
    picked = draw(ordered, rng=rng, base=base)
    by_rule: dict[int, list[int]] = defaultdict(list)
    for qid, rule in picked:
        by_rule[rule["_index"]].append(qid)
    return [(qid, i) for i in range(len(rules)) for qid in by_rule[i]]


def check_rules_against_bank(rules: list[dict], base) -> list[dict]:
    """Whether the bank holds enough questions for every rule (one trial draw)."""
    if not rules:
        return [{"field": "rules", "message": "随机组卷至少需要一条规则"}]
    try:
        draw_for_rules(rules, rng=random.Random(0), base=base)
    except NotEnoughQuestions as exc:
        rule = exc.rule
        names = {}
        if rule.get("knowledge_point"):
            names = dict(KnowledgePoint.objects.filter(pk=rule["knowledge_point"]).values_list("pk", "name"))
        message = f"{rule_label(rule, names)}只有 {exc.available} 道，规则需要 {rule['count']} 道"
        return [{"field": "rules", "row": rule["_index"] + 1, "message": message}]
    return []


def paper_max_score(paper: Paper) -> Decimal:
    if paper.mode == PaperMode.RANDOM:
        return sum((Decimal(str(r["points"])) * int(r["count"]) for r in paper.rules or []), Decimal("0"))
    return sum(paper.items.values_list("points", flat=True), Decimal("0"))


def question_count(paper: Paper) -> int:
    if paper.mode == PaperMode.RANDOM:
        return sum(int(r["count"]) for r in paper.rules or [])
    return paper.items.count()


# --- papers: services -------------------------------------------------------------------------


def _check_settings(data: dict) -> list[dict]:
    errors = []
    if not (data.get("title") or "").strip():
        errors.append({"field": "title", "message": "请填写考试名称"})
    if data.get("mode") not in PaperMode.values:
        errors.append({"field": "mode", "message": "请选择组卷方式"})
    if data.get("audience") not in Audience.values:
        errors.append({"field": "audience", "message": "请选择参加范围"})
    if not data.get("opens_at") or not data.get("closes_at"):
        errors.append({"field": "closes_at", "message": "请填写开始和结束时间"})
    elif data["closes_at"] <= data["opens_at"]:
        errors.append({"field": "closes_at", "message": "结束时间应晚于开始时间"})
    if not 1 <= int(data.get("time_limit_minutes") or 0) <= 600:
        errors.append({"field": "time_limit_minutes", "message": "限时应为 1～600 分钟"})
    if not 1 <= int(data.get("attempts_allowed") or 0) <= 20:
        errors.append({"field": "attempts_allowed", "message": "允许作答次数应为 1～20"})
    if _dec(data.get("pass_score")) < 0:
        errors.append({"field": "pass_score", "message": "及格分不能为负数"})
    return errors


def paper_create(
    *,
    actor,
    unit: OrgUnit,
    title: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    description: str = "",
    mode: str = PaperMode.MANUAL,
    rules=(),
    audience: str = Audience.SUBTREE,
    time_limit_minutes: int = 30,
    attempts_allowed: int = 1,
    pass_score=60,
    shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> Paper:
    if not can(actor, ADD, unit):
        raise PermissionDenied
    data = {
        "title": (title or "").strip(),
        "description": (description or "").strip(),
        "mode": mode,
        "audience": audience,
        "time_limit_minutes": time_limit_minutes,
        "attempts_allowed": attempts_allowed,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "pass_score": _dec(pass_score, "60"),
        "shuffle_questions": bool(shuffle_questions),
        "shuffle_options": bool(shuffle_options),
    }
    errors = _check_settings(data)
    clean_rules: list[dict] = []
    if mode == PaperMode.RANDOM:
        clean_rules, rule_errors = normalize_rules(rules)
        errors += rule_errors or check_rules_against_bank(clean_rules, bank_for_unit(unit))
    if errors:
        raise DomainError("考试设置有误：" + "；".join(e["message"] for e in errors[:5]), errors=errors)
    with transaction.atomic():
        paper = Paper.objects.create(unit=unit, rules=clean_rules, created_by=actor, **data)
        audit_record(
            actor=actor,
            action="learning.paper.create",
            target=paper,
            changes=field_changes({}, paper, fields=SETTINGS_FIELDS),
        )
    return paper


def _require_manage(actor, paper: Paper) -> None:
    if not can(actor, ADD, paper.unit):
        raise PermissionDenied


def paper_update(*, actor, paper: Paper, **fields) -> Paper:
    """Change a paper's settings. Once someone has started it only the title, description and
    closing time may change (the questions and rules are what their attempts were built from)."""
    _require_manage(actor, paper)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    before = snapshot(paper, SETTINGS_FIELDS)
    if "pass_score" in fields:
        fields["pass_score"] = _dec(fields["pass_score"], "60")
    changed = {k for k, v in fields.items() if v != before[k]}
    if changed - set(ALWAYS_EDITABLE) and paper.attempts.exists():
        raise ConflictError("已有人参加这场考试，只能修改名称、说明和结束时间。")
    data = {**before, **fields}
    errors = _check_settings(data)
    if data["mode"] == PaperMode.RANDOM and ("rules" in changed or "mode" in changed):
        clean_rules, rule_errors = normalize_rules(data["rules"])
        errors += rule_errors or check_rules_against_bank(clean_rules, bank_for_unit(paper.unit))
        fields["rules"] = clean_rules
    if errors:
        raise DomainError("考试设置有误：" + "；".join(e["message"] for e in errors[:5]), errors=errors)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(paper, name, value.strip() if isinstance(value, str) else value)
        paper.save()
        if "closes_at" in changed:
            # An earlier close also cuts the running attempts short.
            paper.attempts.filter(status=AttemptStatus.IN_PROGRESS, deadline_at__gt=paper.closes_at).update(
                deadline_at=paper.closes_at
            )
        changes = field_changes(before, paper, fields=SETTINGS_FIELDS)
        if changes:
            audit_record(actor=actor, action="learning.paper.update", target=paper, changes=changes)
    return paper


def paper_set_questions(*, actor, paper: Paper, items: list[dict]) -> Paper:
    """Replace a manual paper's questions: ``items`` = [{"question": id, "points": "2"}] in order.
    Questions must be active and in the bank of the paper's unit."""
    _require_manage(actor, paper)
    if paper.mode != PaperMode.MANUAL:
        raise ConflictError("随机组卷的考试按规则抽题，不能手工选题。")
    if paper.attempts.exists():
        raise ConflictError("已有人参加这场考试，试题不能再修改。")
    errors = []
    ids = []
    for n, item in enumerate(items, start=1):
        try:
            qid = int(item.get("question"))
        except (TypeError, ValueError):
            errors.append({"field": "items", "row": n, "message": f"第 {n} 题：题目编号无效"})
            continue
        points = _dec(item.get("points"), "1")
        if points <= 0 or points > 100:
            errors.append({"field": "items", "row": n, "message": f"第 {n} 题：分值应大于 0 且不超过 100"})
        if qid in ids:
            errors.append({"field": "items", "row": n, "message": f"第 {n} 题：题目 {qid} 重复"})
        ids.append(qid)
    found = set(bank_for_unit(paper.unit).filter(pk__in=ids).values_list("pk", flat=True))
    for n, qid in enumerate(ids, start=1):
        if qid not in found:
            errors.append(
                {"field": "items", "row": n, "message": f"第 {n} 题：题目 {qid} 不在本组织可用的题库中或已停用"}
            )
    if errors:
        raise DomainError("试题有误：" + "；".join(e["message"] for e in errors[:5]), errors=errors)
    with transaction.atomic():
        old = list(paper.items.values_list("question_id", "points"))
        paper.items.all().delete()
        PaperQuestion.objects.bulk_create(
            [
                PaperQuestion(
                    paper=paper, question_id=int(item["question"]), position=n, points=_dec(item.get("points"), "1")
                )
                for n, item in enumerate(items, start=1)
            ]
        )
        audit_record(
            actor=actor,
            action="learning.paper.questions",
            target=paper,
            changes={
                "questions": {
                    "old": [[q, str(p)] for q, p in old],
                    "new": [[int(i["question"]), str(_dec(i.get("points"), "1"))] for i in items],
                }
            },
        )
    return paper


def paper_add_question(*, actor, paper: Paper, question_id: int, points="1") -> Paper:
    items = [{"question": q, "points": p} for q, p in paper.items.values_list("question_id", "points")]
    items.append({"question": question_id, "points": points})
    return paper_set_questions(actor=actor, paper=paper, items=items)


def paper_remove_question(*, actor, paper: Paper, question_id: int) -> Paper:
    items = [
        {"question": q, "points": p}
        for q, p in paper.items.values_list("question_id", "points")
        if q != int(question_id)
    ]
    return paper_set_questions(actor=actor, paper=paper, items=items)


def paper_publish(*, actor, paper: Paper, now=None) -> Paper:
    _require_manage(actor, paper)
    if paper.status == PublishStatus.PUBLISHED:
        raise ConflictError("这场考试已经发布。")
    now = _now(now)
    if paper.closes_at <= now:
        raise ConflictError("结束时间已过，请先修改结束时间。")
    errors = []
    if paper.mode == PaperMode.MANUAL:
        if not paper.items.exists():
            errors.append({"field": "items", "message": "请先选择试题"})
    else:
        errors += check_rules_against_bank(paper.rules, bank_for_unit(paper.unit))
    max_score = paper_max_score(paper)
    if not errors and paper.pass_score > max_score:
        errors.append({"field": "pass_score", "message": f"及格分 {paper.pass_score} 高于试卷总分 {max_score}"})
    if errors:
        raise DomainError("试卷还不能发布：" + "；".join(e["message"] for e in errors), errors=errors)
    return _set_status(actor, paper, PublishStatus.PUBLISHED)


def paper_withdraw(*, actor, paper: Paper) -> Paper:
    """Take a paper back before anyone sat it (afterwards: close it instead)."""
    _require_manage(actor, paper)
    if paper.status != PublishStatus.PUBLISHED:
        raise ConflictError("只有已发布的考试可以撤回。")
    if paper.attempts.exists():
        raise ConflictError("已有人参加这场考试，不能撤回；可以提前结束考试。")
    return _set_status(actor, paper, PublishStatus.DRAFT)


def paper_close(*, actor, paper: Paper, now=None) -> Paper:
    """End the exam now: no new attempts, running attempts end now (graded on next access or by
    ``expire_attempts``), results with answers become visible."""
    _require_manage(actor, paper)
    now = _now(now)
    if paper.status != PublishStatus.PUBLISHED:
        raise ConflictError("只有已发布的考试可以结束。")
    if paper.closes_at <= now:
        raise ConflictError("这场考试已经结束。")
    return paper_update(actor=actor, paper=paper, closes_at=now)


def _set_status(actor, paper: Paper, status: str) -> Paper:
    with transaction.atomic():
        before = snapshot(paper, ("status",))
        paper.status = status
        paper.save(update_fields=["status"])
        verb = {PublishStatus.PUBLISHED: "publish", PublishStatus.DRAFT: "withdraw"}.get(status, status)
        audit_record(
            actor=actor,
            action=f"learning.paper.{verb}",
            target=paper,
            changes=field_changes(before, paper, fields=("status",)),
        )
    return paper


# --- papers: selectors -------------------------------------------------------------------------


def paper_list(*, user, filters: dict | None = None):
    f = filters or {}
    qs = Paper.objects.restrict(user, VIEW).select_related("unit")
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("q"):
        qs = qs.filter(title__icontains=f["q"])
    return qs.annotate(attempt_count=Count("attempts", filter=Q(attempts__status__in=GRADED))).order_by(
        "-opens_at", "-id"
    )


def access_paper(user, paper_id, *, action: str = "view") -> Paper:
    qs = Paper.objects.select_related("unit")
    return access_by_id(user, Paper, paper_id, action=action, queryset=qs, view=VIEW)


def paper_items(paper: Paper):
    return paper.items.select_related("question").prefetch_related("question__knowledge_points").order_by("position")


def access_paper_for_person(user, paper_id) -> tuple[Paper, Person]:
    """A paper the user may take as a member (published, audience covers their unit), else 404."""
    person = viewer_person(user)
    try:
        paper = Paper.objects.select_related("unit").get(pk=int(paper_id))
    except (Paper.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if person is None or not may_see(person, paper):
        raise Http404
    return paper, person


def my_exams(person: Person | None):
    """Papers the person may take, with their attempt count, best score and running attempt."""
    if person is None:
        return Paper.objects.none()
    mine = Attempt.objects.filter(paper=OuterRef("pk"), person=person)
    return (
        visible_to_person(Paper.objects.select_related("unit"), person)
        .annotate(
            my_attempts=Subquery(mine.values("paper").annotate(n=Count("id")).values("n")[:1], IntegerField()),
            my_best=Subquery(mine.filter(status__in=GRADED).values("paper").annotate(m=Max("score")).values("m")[:1]),
            my_running=Subquery(mine.filter(status=AttemptStatus.IN_PROGRESS).values("pk")[:1]),
        )
        .order_by("-opens_at", "-id")
    )


# --- attempts ---------------------------------------------------------------------------------


def attempt_seed(paper_id: int, person_id: int, number: int) -> int:
    """The seed of one attempt's draw: the same paper, person and attempt number always give the
    same questions and orders; the secret key makes it unpredictable to members."""
    text = f"{settings.SECRET_KEY}:exam:{paper_id}:{person_id}:{number}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def build_items(paper: Paper, *, rng: random.Random) -> list[dict]:
    """Freeze what one attempt gets: questions, their order and each one's option order."""
    if paper.mode == PaperMode.RANDOM:
        picked = draw_for_rules(paper.rules, rng=rng, base=bank_for_unit(paper.unit))
        points = [Decimal(str(paper.rules[i]["points"])) for _qid, i in picked]
        ids = [qid for qid, _i in picked]
    else:
        rows = list(paper.items.order_by("position").values_list("question_id", "points"))
        ids = [qid for qid, _p in rows]
        points = [p for _q, p in rows]
    shapes, options = {}, {}
    for pk, kind, opts in Question.objects.filter(pk__in=ids).values_list("pk", "kind", "options"):
        shapes[pk], options[pk] = kind, opts
    items = []
    for qid, pts in zip(ids, points, strict=True):
        kind = shapes[qid]
        shuffle = paper.shuffle_options and kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        order = option_order(len(options[qid] or []), rng=rng, shuffle=shuffle)
        items.append({"question": qid, "points": str(Decimal(pts).quantize(Decimal("0.1"))), "order": order})
    if paper.shuffle_questions:
        rng.shuffle(items)
    return items


def attempt_start(*, actor, paper_id, now=None) -> Attempt:
    """Start (or resume) the user's attempt at a paper they may take."""
    paper, person = access_paper_for_person(actor, paper_id)
    now = _now(now)
    running = Attempt.objects.filter(paper=paper, person=person, status=AttemptStatus.IN_PROGRESS).first()
    if running is not None:
        if running.deadline_at > now:
            return running
        grade_attempt(running, status=AttemptStatus.EXPIRED, now=now)
    if now < paper.opens_at:
        raise ConflictError(f"考试尚未开始，开始时间：{timezone.localtime(paper.opens_at):%Y-%m-%d %H:%M}。")
    if now >= paper.closes_at:
        raise ConflictError("考试已经结束。")
    with transaction.atomic():
        list(Person.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
        running = Attempt.objects.filter(paper=paper, person=person, status=AttemptStatus.IN_PROGRESS).first()
        if running is not None:  # a concurrent request started it
            return running
        used = Attempt.objects.filter(paper=paper, person=person).count()
        if used >= paper.attempts_allowed:
            raise ConflictError(f"您已用完本场考试的 {paper.attempts_allowed} 次作答机会。")
        number = used + 1
        try:
            items = build_items(paper, rng=random.Random(attempt_seed(paper.pk, person.pk, number)))
        except NotEnoughQuestions:
            raise ConflictError("题库中的题目已不足以按规则组卷，请联系出卷的党组织。") from None
        if not items:
            raise ConflictError("这场考试还没有试题。")
        deadline = min(now + datetime.timedelta(minutes=paper.time_limit_minutes), paper.closes_at)
        max_score = sum((Decimal(i["points"]) for i in items), Decimal("0"))
        try:
            with transaction.atomic():
                attempt = Attempt.objects.create(
                    paper=paper,
                    person=person,
                    number=number,
                    started_at=now,
                    deadline_at=deadline,
                    items=items,
                    max_score=max_score,
                )
        except IntegrityError:
            raise ConflictError("您已经开始了这场考试，请刷新页面。") from None
        audit_record(
            actor=actor,
            action="learning.attempt.start",
            target=attempt,
            changes={
                "paper": {"new": paper.pk},
                "number": {"new": number},
                "deadline_at": {"new": deadline.isoformat()},
            },
        )
    return attempt


def access_own_attempt(user, attempt_id) -> Attempt:
    """The user's own attempt, else 404."""
    try:
        return Attempt.objects.select_related("paper__unit", "person__unit").get(
            pk=int(attempt_id), person__user_id=getattr(user, "pk", None)
        )
    except (Attempt.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def access_attempt_for_result(user, attempt_id) -> Attempt:
    """The user's own attempt, or one a manager sees (``learning.view_paper`` over the person)."""
    try:
        return access_own_attempt(user, attempt_id)
    except Http404:
        pass
    qs = Attempt.objects.select_related("paper__unit", "person__unit")
    return access_by_id(user, Attempt, attempt_id, queryset=qs, view=VIEW)


def settle(attempt: Attempt, *, now=None) -> Attempt:
    """Grade an attempt left running past its deadline (as expired). Returns it, fresh."""
    if attempt.status == AttemptStatus.IN_PROGRESS and _now(now) >= attempt.deadline_at:
        return grade_attempt(attempt, status=AttemptStatus.EXPIRED, now=now)
    return attempt


def item_questions(attempt: Attempt) -> dict[int, Question]:
    ids = [i["question"] for i in attempt.items]
    return {q.pk: q for q in Question.objects.filter(pk__in=ids).prefetch_related("knowledge_points")}


def _to_stored(item: dict, question: Question, response) -> list:
    """A response as the page sends it (positions as shown / texts) → stored option indexes."""
    if question.kind == QuestionKind.FILL:
        blanks = max(1, len(question.answer or []))
        texts = [str(v or "").strip()[:MAX_FILL_TEXT] for v in (response or [])][:blanks]
        texts += [""] * (blanks - len(texts))
        return texts if any(texts) else []
    order = item.get("order") or list(range(len(question.options or [])))
    try:
        positions = sorted({int(v) for v in (response or []) if str(v).strip() != ""})
    except (TypeError, ValueError):
        raise DomainError("答案格式不正确") from None
    if any(p < 0 or p >= len(order) for p in positions):
        raise DomainError("答案超出了选项范围")
    if question.kind in (QuestionKind.SINGLE, QuestionKind.JUDGE) and len(positions) > 1:
        raise DomainError("这道题只能选一个答案")
    return sorted(order[p] for p in positions)


def _to_shown(item: dict, question: Question, stored) -> list:
    if question.kind == QuestionKind.FILL:
        return list(stored or [])
    order = item.get("order") or list(range(len(question.options or [])))
    return sorted(order.index(i) for i in stored or [] if i in order)


def _item_of(attempt: Attempt, question_id) -> dict:
    try:
        qid = int(question_id)
    except (TypeError, ValueError):
        raise DomainError("题目编号无效") from None
    for item in attempt.items:
        if item["question"] == qid:
            return item
    raise DomainError("这道题不在本次试卷中")


def attempt_save(*, actor, attempt_id, question_id, response, now=None, questions=None) -> Attempt:
    """Autosave one answer. 409 once the attempt is over or past its deadline (which grades it)."""
    attempt = access_own_attempt(actor, attempt_id)
    return _save_answers(attempt, {question_id: response}, now=_now(now), questions=questions)


def _save_answers(attempt: Attempt, responses: dict, *, now, questions=None) -> Attempt:
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ConflictError("试卷已经提交，不能再修改答案。")
    if now >= attempt.deadline_at:
        grade_attempt(attempt, status=AttemptStatus.EXPIRED, now=now)
        raise ConflictError("已超过作答时间，试卷已自动提交，之后的答案不再保存。")
    questions = questions or item_questions(attempt)
    stored = {}
    for qid, response in responses.items():
        item = _item_of(attempt, qid)
        stored[str(item["question"])] = _to_stored(item, questions[item["question"]], response)
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status != AttemptStatus.IN_PROGRESS:
            raise ConflictError("试卷已经提交，不能再修改答案。")
        answers = dict(locked.answers or {})
        for key, value in stored.items():
            if value:
                answers[key] = value
            else:
                answers.pop(key, None)
        Attempt.objects.filter(pk=attempt.pk).update(answers=answers, saved_at=now)
    attempt.answers, attempt.saved_at = answers, now
    return attempt


def attempt_submit(*, actor, attempt_id, responses: dict | None = None, now=None) -> Attempt:
    """Hand in: save the answers sent with the submit (if still in time) and grade. Late → the
    saved answers are graded and the attempt is marked expired."""
    attempt = access_own_attempt(actor, attempt_id)
    now = _now(now)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ConflictError("试卷已经提交。")
    if now >= attempt.deadline_at:
        return grade_attempt(attempt, status=AttemptStatus.EXPIRED, now=now)
    if responses:
        attempt = _save_answers(attempt, responses, now=now)
    return grade_attempt(attempt, status=AttemptStatus.SUBMITTED, now=now)


def grade_attempt(attempt: Attempt, *, status: str, now=None) -> Attempt:
    """Grade once (the status update claims the attempt; a second call does nothing)."""
    now = _now(now)
    with transaction.atomic():
        claimed = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.IN_PROGRESS).update(
            status=status, submitted_at=now
        )
        attempt = Attempt.objects.select_related("paper", "person__user").get(pk=attempt.pk)
        if not claimed:
            return attempt
        questions = {q.pk: q for q in Question.objects.filter(pk__in=[i["question"] for i in attempt.items])}
        graded, score, max_score = [], Decimal("0"), Decimal("0")
        for item in attempt.items:
            question = questions.get(item["question"])
            if question is None:
                continue
            response = (attempt.answers or {}).get(str(question.pk)) or []
            correct = bool(response) and grading.grade(question, response)
            points = Decimal(str(item["points"]))
            max_score += points
            score += points if correct else 0
            graded.append((question, response, correct))
        from .wrongbook import record_answers

        record_answers(attempt.person, AnswerSource.EXAM, attempt.pk, graded, now=now)
        attempt.score, attempt.max_score = score, max_score
        attempt.passed = score >= attempt.paper.pass_score
        attempt.save(update_fields=["score", "max_score", "passed"])
        user = attempt.person.user
        audit_record(
            actor=user,
            action="learning.attempt.submit" if status == AttemptStatus.SUBMITTED else "learning.attempt.expire",
            target=attempt,
            changes={"status": {"new": status}, "score": {"new": str(score)}, "passed": {"new": attempt.passed}},
        )
        if attempt.passed:
            from cloudbranch.points.services import point_award

            point_award(
                person=attempt.person,
                action="exam_pass",
                source_type="paper",
                source_id=str(attempt.paper_id),
                occurred_at=now,
            )
        for handler in hooks.attempt_handlers:
            handler(attempt=attempt)
        person_id = attempt.person_id
        transaction.on_commit(lambda: _progress_changed(person_id))
    return attempt


def _progress_changed(person_id: int) -> None:
    try:
        from . import tasks as learning_tasks
    except ImportError:
        return
    hook = getattr(learning_tasks, "progress_changed", None)
    if hook is None:
        return
    try:
        if hasattr(hook, "enqueue"):
            hook.enqueue(person_id)
        else:
            hook(person_id)
    except Exception:
        logger.exception("progress_changed(%s) failed", person_id)


def expire_attempts(*, now=None, limit: int = 1000) -> int:
    """Grade every attempt left running past its deadline; returns how many were graded."""
    now = _now(now)
    ids = list(
        Attempt.objects.filter(status=AttemptStatus.IN_PROGRESS, deadline_at__lte=now)
        .order_by("deadline_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for attempt in Attempt.objects.filter(pk__in=ids):
        grade_attempt(attempt, status=AttemptStatus.EXPIRED, now=now)
        done += 1
    return done


@task()
def expire_attempts_task() -> int:
    """django-tasks entry point; schedule every few minutes (or run ``manage.py expire_attempts``)."""
    return expire_attempts()


# --- what the pages show -------------------------------------------------------------------------


def attempt_sheet(attempt: Attempt, *, questions=None, reveal: bool = False) -> list[dict]:
    """The items as the person sees them: options in the attempt's order, labelled A, B, ...,
    their saved answer as shown positions; with ``reveal`` also the key and the explanation."""
    questions = questions or item_questions(attempt)
    sheet = []
    for n, item in enumerate(attempt.items, start=1):
        q = questions.get(item["question"])
        if q is None:
            continue
        order = item.get("order") or list(range(len(q.options or [])))
        stored = (attempt.answers or {}).get(str(q.pk)) or []
        shown = _to_shown(item, q, stored)
        row = {
            "number": n,
            "id": q.pk,
            "kind": q.kind,
            "kind_label": KIND_LABELS.get(q.kind, q.kind),
            "stem": q.stem,
            "points": item["points"],
            "options": [{"position": p, "letter": LETTERS[p], "text": q.options[i]} for p, i in enumerate(order)],
            "blanks": list(range(max(1, blank_count(q.stem)))) if q.kind == QuestionKind.FILL else [],
            "response": shown,
            "answered": bool(stored),
        }
        if q.kind == QuestionKind.FILL:
            row["texts"] = (list(stored) + [""] * len(row["blanks"]))[: len(row["blanks"])]
        if reveal:
            correct = bool(stored) and grading.grade(q, stored)
            if q.kind == QuestionKind.FILL:
                key_text = "；".join(" / ".join(blank) for blank in q.answer)
                mine = "；".join(stored) if stored else ""
            else:
                key_text = "".join(LETTERS[p] for p in sorted(order.index(i) for i in q.answer if i in order))
                mine = "".join(LETTERS[p] for p in shown)
            row |= {
                "correct": correct,
                "key_text": key_text,
                "mine_text": mine,
                "explanation": q.explanation,
                "knowledge_points": [kp.name for kp in q.knowledge_points.all()],
            }
        sheet.append(row)
    return sheet


def results_revealed(paper: Paper, *, now=None) -> bool:
    """Answers and explanations are shown only once the paper has closed (server clock)."""
    return _now(now) >= paper.closes_at


def attempt_summary(attempt: Attempt) -> dict:
    correct = AnswerRecord.objects.filter(source=AnswerSource.EXAM, source_id=attempt.pk, correct=True).count()
    return {"correct": correct, "total": len(attempt.items)}


# --- statistics ---------------------------------------------------------------------------------


def best_attempts(paper: Paper):
    """Each person's best graded attempt at the paper (ties: the earliest)."""
    better = Attempt.objects.filter(paper=OuterRef("paper"), person=OuterRef("person"), status__in=GRADED).filter(
        Q(score__gt=OuterRef("score")) | Q(score=OuterRef("score"), pk__lt=OuterRef("pk"))
    )
    return Attempt.objects.filter(paper=paper, status__in=GRADED).filter(~Exists(better))


def stats_units(user, paper: Paper):
    """Units the user may choose for statistics: where they hold ``learning.view_paper``."""
    return OrgUnit.objects.restrict(user, VIEW).filter(status="active").only("id", "name", "path", "code")


def unit_statistics(paper: Paper, unit: OrgUnit) -> dict:
    """Per child of ``unit`` (and ``unit`` itself for people directly in it): participants, mean,
    pass rate and score distribution of each person's best attempt, in one grouped query."""
    children = list(OrgUnit.objects.filter(parent=unit).only("id", "name", "path").order_by("path"))
    max_score = paper_max_score_cached(paper)
    bucket = Case(
        *[When(person__unit__path__startswith=c.path, then=Value(c.pk)) for c in children],
        default=Value(unit.pk),
        output_field=IntegerField(),
    )
    counts = {}
    for label, low, high in BUCKETS:
        q = Q()
        if low is not None:
            q &= Q(score__gte=max_score * low / 100)
        if high is not None:
            q &= Q(score__lt=max_score * high / 100)
        counts[label] = Count("id", filter=q)
    rows = (
        best_attempts(paper)
        .filter(person__unit__path__startswith=unit.path)
        .annotate(bucket=bucket)
        .values("bucket")
        .annotate(
            participants=Count("person", distinct=True),
            mean=Avg("score"),
            passed_n=Count("id", filter=Q(passed=True)),
            **{f"b{i}": c for i, c in enumerate(counts.values())},
        )
        .order_by()
    )
    by_unit = {r["bucket"]: r for r in rows}
    out = []
    total = {"participants": 0, "passed": 0, "sum": Decimal("0"), "distribution": [0] * len(BUCKETS)}
    for u, label in [(unit, f"{unit.name}（本级）"), *[(c, c.name) for c in children]]:
        r = by_unit.get(u.pk)
        if r is None and u is unit:
            continue
        n = r["participants"] if r else 0
        dist = [r[f"b{i}"] if r else 0 for i in range(len(BUCKETS))]
        mean = Decimal(str(r["mean"])).quantize(Decimal("0.1")) if r and r["mean"] is not None else None
        out.append(
            {
                "unit": u,
                "label": label,
                "participants": n,
                "mean": mean,
                "passed": r["passed_n"] if r else 0,
                "pass_rate": round(100 * r["passed_n"] / n, 1) if n else None,
                "distribution": dist,
            }
        )
        total["participants"] += n
        total["passed"] += r["passed_n"] if r else 0
        total["sum"] += (mean or 0) * n
        total["distribution"] = [a + b for a, b in zip(total["distribution"], dist, strict=True)]
    n = total["participants"]
    return {
        "rows": out,
        "buckets": [b[0] for b in BUCKETS],
        "max_score": max_score,
        "total": {
            "participants": n,
            "mean": (total["sum"] / n).quantize(Decimal("0.1")) if n else None,
            "pass_rate": round(100 * total["passed"] / n, 1) if n else None,
            "distribution": total["distribution"],
        },
    }


def paper_max_score_cached(paper: Paper) -> Decimal:
    if not hasattr(paper, "_max_score"):
        paper._max_score = paper_max_score(paper)
    return paper._max_score


def item_analysis(paper: Paper, *, unit: OrgUnit | None = None) -> list[dict]:
    """Per question answered in the paper: answers, wrong answers and their share, the most
    chosen wrong option (choice questions); worst first. Three queries."""
    attempts = Attempt.objects.filter(paper=paper, status__in=GRADED)
    if unit is not None:
        attempts = attempts.filter(person__unit__path__startswith=unit.path)
    records = AnswerRecord.objects.filter(source=AnswerSource.EXAM, source_id__in=attempts.values("pk"))
    stats = list(
        records.values("question").annotate(total=Count("id"), wrong=Count("id", filter=Q(correct=False))).order_by()
    )
    if not stats:
        return []
    wrong_choices: dict[int, tuple[list, int]] = {}
    for row in (
        records.filter(correct=False, question__kind__in=CHOICE_KINDS)
        .values("question", "response")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if not row["response"]:
            continue
        current = wrong_choices.get(row["question"])
        if current is None or row["n"] > current[1]:
            wrong_choices[row["question"]] = (row["response"], row["n"])
    questions = Question.objects.filter(pk__in=[s["question"] for s in stats]).only("id", "kind", "stem", "options")
    questions = {q.pk: q for q in questions}
    out = []
    for s in stats:
        q = questions[s["question"]]
        top = wrong_choices.get(q.pk)
        top_text = ""
        if top:
            indexes = [int(i) for i in top[0]]
            top_text = "".join(LETTERS[i] for i in indexes if 0 <= i < len(LETTERS))
            if len(indexes) == 1 and 0 <= indexes[0] < len(q.options or []):
                top_text += f"（{q.options[indexes[0]]}）"
        out.append(
            {
                "question": q,
                "total": s["total"],
                "wrong": s["wrong"],
                "wrong_rate": round(100 * s["wrong"] / s["total"], 1) if s["total"] else 0.0,
                "top_wrong": top_text,
                "top_wrong_count": top[1] if top else 0,
            }
        )
    out.sort(key=lambda r: (-r["wrong_rate"], -r["total"], r["question"].pk))
    return out
