"""Forms of the question bank and exams. The key's text form is the one of the Excel import
(``questions.parse_answer``): letters, 正确/错误, or "答案1|同义；答案2"."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from . import questions
from .choices import Audience, Difficulty, PaperMode, QuestionKind, QuestionStatus
from .models import KnowledgePoint

RULE_ROWS = 6
TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}
CHECK = {"class": "form-check-input"}
DATETIME = {"class": "form-control", "type": "datetime-local"}


def _unit_choices(units) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{u.name}（{u.code}）") for u in units]


class QuestionFilterForm(forms.Form):
    q = forms.CharField(required=False, widget=forms.TextInput(attrs={**TEXT, "placeholder": "搜索题干或出处"}))
    kind = forms.ChoiceField(
        required=False, choices=[("", "全部题型"), *QuestionKind.choices], widget=forms.Select(attrs=SELECT)
    )
    difficulty = forms.ChoiceField(
        required=False, choices=[("", "全部难度"), *Difficulty.choices], widget=forms.Select(attrs=SELECT)
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "全部状态"), *QuestionStatus.choices], widget=forms.Select(attrs=SELECT)
    )
    kp = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kp"].choices = [("", "全部知识点"), *KnowledgePoint.objects.values_list("pk", "name")[:500]]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class QuestionForm(forms.Form):
    unit = forms.ChoiceField(label="所属组织", widget=forms.Select(attrs=SELECT))
    kind = forms.ChoiceField(label="题型", choices=QuestionKind.choices, widget=forms.Select(attrs=SELECT))
    stem = forms.CharField(
        label="题干",
        max_length=2000,
        widget=forms.Textarea(attrs={**TEXT, "rows": 3}),
        help_text="填空题用“____”或“（ ）”标出空。",
    )
    answer_text = forms.CharField(
        label="答案",
        max_length=1000,
        widget=forms.TextInput(attrs=TEXT),
        help_text="选择题填字母（如 B、ACD）；判断题填“正确”或“错误”；填空题按空的顺序用“；”分隔，同义答案用“|”分隔。",
    )
    explanation = forms.CharField(label="解析", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 3}))
    knowledge_points = forms.CharField(
        label="知识点", required=False, widget=forms.TextInput(attrs={**TEXT, "placeholder": "多个用逗号分隔"})
    )
    difficulty = forms.TypedChoiceField(
        label="难度",
        coerce=int,
        choices=Difficulty.choices,
        initial=Difficulty.MEDIUM,
        widget=forms.Select(attrs=SELECT),
    )
    source = forms.CharField(label="出处", max_length=200, required=False, widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args, units=(), question=None, **kwargs):
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "unit": str(question.unit_id),
                "kind": question.kind,
                "stem": question.stem,
                "answer_text": questions.answer_text(question.kind, question.answer),
                "explanation": question.explanation,
                "knowledge_points": "，".join(kp.name for kp in question.knowledge_points.all()),
                "difficulty": question.difficulty,
                "source": question.source,
                **{
                    f"option_{ch.lower()}": text
                    for ch, text in zip(questions.LETTERS, question.options or [], strict=False)
                },
            }
        super().__init__(*args, **kwargs)
        for ch in questions.LETTERS:
            self.fields[f"option_{ch.lower()}"] = forms.CharField(
                label=f"选项{ch}", required=False, max_length=500, widget=forms.TextInput(attrs=TEXT)
            )
        self.fields["unit"].choices = _unit_choices(units)
        if question is not None:
            self.fields["unit"].disabled = True

    def option_fields(self):
        return [self[f"option_{ch.lower()}"] for ch in questions.LETTERS]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        options = [(data.get(f"option_{ch.lower()}") or "").strip() for ch in questions.LETTERS]
        while options and not options[-1]:
            options.pop()
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            if any(not o for o in options):
                self.add_error("option_a", "选项须从选项A起连续填写。")
        else:
            options = []
        data["options"] = options
        if kind and data.get("answer_text"):
            count = 2 if kind == QuestionKind.JUDGE else len(options)
            try:
                data["answer"] = questions.parse_answer(kind, data["answer_text"], count)
            except ValueError as exc:
                self.add_error("answer_text", str(exc))
        data["kp_names"] = questions.split_names(data.get("knowledge_points"))
        return data


class ImportForm(forms.Form):
    unit = forms.ChoiceField(label="导入到", widget=forms.Select(attrs=SELECT))
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={**TEXT, "accept": ".xlsx"}),
        error_messages={"required": "请选择要上传的 .xlsx 文件。", "empty": "上传的文件是空的。"},
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _unit_choices(units)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("文件过大（最大 5 MB），请拆分后再导入。")
        return upload


class PaperForm(forms.Form):
    unit = forms.ChoiceField(label="组织单位", widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label="考试名称", max_length=200, widget=forms.TextInput(attrs=TEXT))
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    mode = forms.ChoiceField(label="组卷方式", choices=PaperMode.choices, widget=forms.Select(attrs=SELECT))
    audience = forms.ChoiceField(label="参加范围", choices=Audience.choices, widget=forms.Select(attrs=SELECT))
    opens_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    closes_at = forms.DateTimeField(
        label="结束时间", widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M")
    )
    time_limit_minutes = forms.IntegerField(
        label="限时（分钟）", min_value=1, max_value=600, initial=30, widget=forms.NumberInput(attrs=TEXT)
    )
    attempts_allowed = forms.IntegerField(
        label="允许作答次数", min_value=1, max_value=20, initial=1, widget=forms.NumberInput(attrs=TEXT)
    )
    pass_score = forms.DecimalField(
        label="及格分", min_value=0, max_digits=6, decimal_places=1, initial=60, widget=forms.NumberInput(attrs=TEXT)
    )
    shuffle_questions = forms.BooleanField(
        label="题目乱序", required=False, initial=True, widget=forms.CheckboxInput(attrs=CHECK)
    )
    shuffle_options = forms.BooleanField(
        label="选项乱序", required=False, initial=True, widget=forms.CheckboxInput(attrs=CHECK)
    )

    def __init__(self, *args, units=(), paper=None, **kwargs):
        if paper is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "unit": str(paper.unit_id),
                "title": paper.title,
                "description": paper.description,
                "mode": paper.mode,
                "audience": paper.audience,
                "opens_at": timezone.localtime(paper.opens_at),
                "closes_at": timezone.localtime(paper.closes_at),
                "time_limit_minutes": paper.time_limit_minutes,
                "attempts_allowed": paper.attempts_allowed,
                "pass_score": paper.pass_score,
                "shuffle_questions": paper.shuffle_questions,
                "shuffle_options": paper.shuffle_options,
            }
            for n, rule in enumerate(paper.rules or []):
                kwargs["initial"] |= {
                    f"rule_kind_{n}": rule.get("kind") or "",
                    f"rule_count_{n}": rule.get("count"),
                    f"rule_points_{n}": rule.get("points"),
                    f"rule_kp_{n}": rule.get("knowledge_point") or "",
                    f"rule_difficulty_{n}": rule.get("difficulty") or "",
                }
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _unit_choices(units)
        if paper is not None:
            self.fields["unit"].disabled = True
        kps = [("", "不限知识点"), *KnowledgePoint.objects.values_list("pk", "name")[:500]]
        for n in range(RULE_ROWS):
            self.fields[f"rule_kind_{n}"] = forms.ChoiceField(
                required=False, choices=[("", "不限题型"), *QuestionKind.choices], widget=forms.Select(attrs=SELECT)
            )
            self.fields[f"rule_count_{n}"] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=200,
                widget=forms.NumberInput(attrs={**TEXT, "placeholder": "题数"}),
            )
            self.fields[f"rule_points_{n}"] = forms.DecimalField(
                required=False, min_value=0, max_digits=5, decimal_places=1,
                widget=forms.NumberInput(attrs={**TEXT, "placeholder": "每题分", "step": "0.5"}),
            )  # fmt: skip
            self.fields[f"rule_kp_{n}"] = forms.ChoiceField(
                required=False, choices=kps, widget=forms.Select(attrs=SELECT)
            )
            self.fields[f"rule_difficulty_{n}"] = forms.ChoiceField(
                required=False, choices=[("", "不限难度"), *Difficulty.choices], widget=forms.Select(attrs=SELECT)
            )

    def rule_rows(self):
        return [
            [self[f"rule_{name}_{n}"] for name in ("kind", "count", "points", "kp", "difficulty")]
            for n in range(RULE_ROWS)
        ]

    def rules(self) -> list[dict]:
        out = []
        for n in range(RULE_ROWS):
            count = self.cleaned_data.get(f"rule_count_{n}")
            if not count:
                continue
            out.append(
                {
                    "kind": self.cleaned_data.get(f"rule_kind_{n}") or "",
                    "count": count,
                    "points": str(self.cleaned_data.get(f"rule_points_{n}") or ""),
                    "knowledge_point": self.cleaned_data.get(f"rule_kp_{n}") or None,
                    "difficulty": self.cleaned_data.get(f"rule_difficulty_{n}") or None,
                }
            )
        return out

    def settings(self) -> dict:
        data = self.cleaned_data
        names = (
            "title",
            "description",
            "mode",
            "audience",
            "opens_at",
            "closes_at",
            "time_limit_minutes",
            "attempts_allowed",
            "pass_score",
            "shuffle_questions",
            "shuffle_options",
        )
        out = {n: data[n] for n in names}
        out["rules"] = self.rules() if data["mode"] == PaperMode.RANDOM else []
        return out
