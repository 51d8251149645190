"""Forms of the results area: assignment, submission, grading/return, revocation."""

from __future__ import annotations

from django import forms

from .assignments import FILE_HINT


class AssignmentForm(forms.Form):
    title = forms.CharField(label="作业题目", max_length=120)
    prompt = forms.CharField(label="要求", widget=forms.Textarea(attrs={"rows": 5}))
    due_at = forms.DateTimeField(
        label="截止时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    required = forms.BooleanField(label="结业必需", required=False, initial=True)
    min_chars = forms.IntegerField(label="最少字数", min_value=0, initial=0)
    max_score = forms.IntegerField(label="满分", min_value=1, max_value=1000, initial=100)
    pass_score = forms.IntegerField(label="合格分", min_value=0, max_value=1000, initial=60)


class SubmissionForm(forms.Form):
    text = forms.CharField(label="作业内容", widget=forms.Textarea(attrs={"rows": 10}), strip=False)
    file = forms.FileField(label="附件（可选）", required=False, help_text=FILE_HINT)


class GradeForm(forms.Form):
    action = forms.ChoiceField(choices=[("grade", "评分"), ("return", "退回修改")], initial="grade")
    score = forms.IntegerField(label="成绩", min_value=0, required=False)
    comment = forms.CharField(label="评语", max_length=500, required=False)


class RevokeForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200)


class ResultsFilterForm(forms.Form):
    status = forms.CharField(required=False)


for _form in (AssignmentForm, SubmissionForm, GradeForm, RevokeForm):
    for _name, _field in _form.base_fields.items():
        if not isinstance(_field.widget, forms.CheckboxInput):
            css = "form-select" if isinstance(_field.widget, forms.Select) else "form-control"
            _field.widget.attrs.setdefault("class", css)
