"""Forms of the quiz area: the contest form, and reading an answer from a posted form."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from cloudbranch.orgs.models import OrgUnit

from .choices import Audience, ContestMode, QuestionKind

LETTERS = "ABCDEFGH"


def response_from_post(question, data) -> list:
    """The grading response for ``question`` from a form: ``choice`` (one or several option
    indexes) or ``blank`` (one text per blank)."""
    if question is None:
        return []
    if question.kind == QuestionKind.FILL:
        return [str(v) for v in data.getlist("blank")]
    values = []
    for v in data.getlist("choice"):
        try:
            values.append(int(v))
        except (TypeError, ValueError):
            continue
    return values


def answer_text(question) -> str:
    """The correct answer as members read it: "B. 为人民服务" / "A、C" / "党章；中国共产党章程"."""
    if question is None:
        return ""
    if question.kind == QuestionKind.FILL:
        return "；".join(" / ".join(str(a) for a in blank) for blank in question.answer)
    opts = question.options or []
    parts = []
    for i in question.answer:
        i = int(i)
        text = opts[i] if 0 <= i < len(opts) else ""
        parts.append(f"{LETTERS[i] if i < len(LETTERS) else i}. {text}")
    return "；".join(parts)


def option_rows(question) -> list[tuple[int, str, str]]:
    """[(index, letter, text)] for templates."""
    return [(i, LETTERS[i] if i < len(LETTERS) else str(i), text) for i, text in enumerate(question.options or [])]


class ContestForm(forms.Form):
    unit = forms.ModelChoiceField(label="主办组织", queryset=OrgUnit.objects.none())
    title = forms.CharField(label="竞赛名称", max_length=200)
    description = forms.CharField(label="竞赛规则与说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    mode = forms.ChoiceField(label="形式", choices=ContestMode.choices, initial=ContestMode.INDIVIDUAL)
    audience = forms.ChoiceField(label="参加范围", choices=Audience.choices, initial=Audience.SUBTREE, required=False)
    starts_at = forms.DateTimeField(
        label="开始时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label="结束时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    question_count = forms.IntegerField(label="题目数", min_value=1, max_value=50, initial=10)
    seconds_per_question = forms.IntegerField(label="每题限时（秒）", min_value=5, max_value=600, initial=20)

    def __init__(self, *args, user=None, has_audience: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            OrgUnit.objects.restrict(user, "learning.add_contest").filter(status="active").order_by("path")
        )
        if not has_audience:
            del self.fields["audience"]
        if not self.is_bound:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("starts_at", now)
            self.initial.setdefault("ends_at", now + timezone.timedelta(days=7))
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)
