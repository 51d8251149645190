"""Forms of the task pages: they only shape input; every rule is checked by the services."""

from __future__ import annotations

from django import forms

from .choices import ReviewDecision, TargetStatus, TaskStatus
from .tasks import TARGET_KINDS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


class TaskForm(forms.Form):
    issuer = forms.TypedChoiceField(label="下发单位", coerce=int)
    title = forms.CharField(label="任务名称", max_length=200)
    requirements = forms.CharField(label="任务要求", widget=forms.Textarea(attrs={"rows": 5}))
    evidence_expected = forms.CharField(
        label="需报送的材料", max_length=300, required=False, help_text="填写后，承办单位报送时必须上传佐证材料。"
    )
    deadline = forms.DateTimeField(
        label="完成时限",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    files = MultipleFileField(label="附件", help_text="PDF、Word、Excel、PowerPoint 或图片，每个不超过 20 MB。")
    target_kinds = forms.MultipleChoiceField(
        label="按类型选择承办单位", choices=TARGET_KINDS, required=False, widget=forms.CheckboxSelectMultiple
    )
    target_units = forms.TypedMultipleChoiceField(label="逐个选择承办单位", coerce=int, required=False)

    def __init__(self, *args, issuers=(), candidates=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].choices = [(u.pk, u.name) for u in issuers]
        self.fields["target_units"].choices = [(u.pk, u.name) for u in candidates]
        if editing:
            del self.fields["issuer"]
        for name, f in self.fields.items():
            if name not in ("target_kinds",):
                f.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(f, forms.ChoiceField) else "form-control"
                )

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        kwargs = {
            "title": d["title"],
            "requirements": d["requirements"],
            "evidence_expected": d["evidence_expected"],
            "deadline": d["deadline"],
            "files": d["files"],
        }
        if "issuer" in self.fields:
            kwargs["issuer_id"] = d["issuer"]
        return kwargs


class IssueForm(forms.Form):
    target_kinds = forms.MultipleChoiceField(choices=TARGET_KINDS, required=False)
    target_units = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_units"].choices = [(u.pk, u.name) for u in candidates]


class CancelForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200, required=False)


class TaskFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(choices=[("", "全部状态"), *TaskStatus.choices], required=False)

    def filters(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}


class TargetFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "全部"), *TargetStatus.choices, ("overdue", "已逾期")], required=False)

    def status_value(self) -> str:
        return self.cleaned_data.get("status", "") if self.is_valid() else ""


class AssignForm(forms.Form):
    person = forms.TypedChoiceField(label="责任人", coerce=int)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "请选择")] + [(p.pk, f"{p.name}（{p.unit.name}）") for p in people]
        self.fields["person"].widget.attrs["class"] = "form-select"


class ReportForm(forms.Form):
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    progress = forms.IntegerField(
        label="进度（%）", min_value=0, max_value=100, widget=forms.NumberInput(attrs={"class": "form-control"})
    )


class SubmitForm(forms.Form):
    text = forms.CharField(label="完成情况", widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))
    files = MultipleFileField(label="佐证材料")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices)
    comment = forms.CharField(label="审核意见", max_length=500, required=False)
