"""Forms of the democratic appraisal pages; the rules live in appraisals.py."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .appraisals import NOTE_MAX, SELF_ASSESSMENT_MAX
from .choices import Grade, UnqualifiedHandling

_SELECT = {"class": "form-select"}
_INPUT = {"class": "form-control"}
GRADE_CHOICES = [("", "—"), *Grade.choices]


class AppraisalCreateForm(forms.Form):
    unit = forms.ModelChoiceField(label="党支部", queryset=None, widget=forms.Select(attrs=_SELECT))
    year = forms.IntegerField(label="年度", min_value=2000, widget=forms.NumberInput(attrs=_INPUT))
    meeting_on = forms.DateField(
        label="支部大会日期（可稍后填写）", required=False, widget=forms.DateInput(attrs={**_INPUT, "type": "date"})
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if not self.is_bound:
            self.initial.setdefault("year", timezone.localdate().year)


class SelfAssessmentForm(forms.Form):
    text = forms.CharField(
        label="个人总结",
        max_length=SELF_ASSESSMENT_MAX,
        required=False,
        widget=forms.Textarea(
            attrs={**_INPUT, "rows": 10, "placeholder": "对照党员标准，总结一年来的思想、学习、工作和作风情况……"}
        ),
    )


class HandlingForm(forms.Form):
    handling = forms.ChoiceField(
        label="处置方式", choices=[("", "请选择"), *UnqualifiedHandling.choices], widget=forms.Select(attrs=_SELECT)
    )
    note = forms.CharField(
        label="处置情况", max_length=NOTE_MAX, widget=forms.Textarea(attrs={**_INPUT, "rows": 3}), required=False
    )
    deadline = forms.DateField(
        label="改正期限（限期改正时填写，一般不超过一年）",
        required=False,
        widget=forms.DateInput(attrs={**_INPUT, "type": "date"}),
    )


class GradesForm(forms.Form):
    """One grade (and for the proposal a note) per graded member: fields ``grade_<entry id>``
    and ``note_<entry id>``."""

    with_notes = False

    def __init__(self, *args, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = list(entries)
        for e in self.entries:
            self.fields[f"grade_{e.pk}"] = forms.ChoiceField(
                label=e.person.name,
                choices=GRADE_CHOICES,
                required=False,
                widget=forms.Select(attrs={**_SELECT, "class": "form-select form-select-sm grade-select"}),
            )
            if self.with_notes:
                self.fields[f"note_{e.pk}"] = forms.CharField(
                    label="说明",
                    max_length=NOTE_MAX,
                    required=False,
                    widget=forms.TextInput(attrs={**_INPUT, "class": "form-control form-control-sm"}),
                )

    def rows(self):
        for e in self.entries:
            yield e, self[f"grade_{e.pk}"], (self[f"note_{e.pk}"] if self.with_notes else None)


class ProposalForm(GradesForm):
    with_notes = True

    def items(self) -> dict:
        return {
            e.pk: (self.cleaned_data.get(f"grade_{e.pk}") or "", self.cleaned_data.get(f"note_{e.pk}") or "")
            for e in self.entries
        }


class DecisionForm(GradesForm):
    meeting_on = forms.DateField(label="支部大会日期", widget=forms.DateInput(attrs={**_INPUT, "type": "date"}))

    def grades(self) -> dict:
        return {e.pk: self.cleaned_data.get(f"grade_{e.pk}") or "" for e in self.entries}
