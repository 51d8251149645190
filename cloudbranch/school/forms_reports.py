"""Forms of the reports area: they only parse input; the rules live in evaluations / stats."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .choices import ClassKind
from .evaluations import MAX_COMMENT

STARS = [(str(n), f"{n} 星") for n in range(5, 0, -1)]


class EvaluationForm(forms.Form):
    content_rating = forms.TypedChoiceField(choices=STARS, coerce=int, widget=forms.RadioSelect, label="课程内容")
    lecturer_rating = forms.TypedChoiceField(choices=STARS, coerce=int, widget=forms.RadioSelect, label="授课人")
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_COMMENT, "placeholder": "选填，匿名提交"}),
        label="意见建议",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["content_rating"].error_messages["required"] = "请为课程内容打 1–5 星。"
        self.fields["content_rating"].error_messages["invalid_choice"] = "请为课程内容打 1–5 星。"
        self.fields["lecturer_rating"].error_messages["required"] = "请为授课人打 1–5 星。"
        self.fields["lecturer_rating"].error_messages["invalid_choice"] = "请为授课人打 1–5 星。"


class StatsFilterForm(forms.Form):
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label="年度")
    unit = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, label="举办单位")
    kind = forms.ChoiceField(required=False, choices=[("", "全部类型"), *ClassKind.choices], label="类型")

    def values(self) -> dict:
        """{"year", "unit" (id or None), "kind"}: invalid input falls back to the defaults."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "year": data.get("year") or timezone.localdate().year,
            "unit": data.get("unit"),
            "kind": data.get("kind") or "",
        }
