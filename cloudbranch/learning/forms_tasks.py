"""Forms of study tasks: shape checks only; every rule is in ``tasks.task_assign``."""

from __future__ import annotations

from django import forms

from .choices import TaskStatus
from .tasks import PROGRESS_FILTERS, SCOPE_CHOSEN, SCOPE_SUBTREE, SCOPES, STATUS_GROUPS


class IdListField(forms.Field):
    """A list of positive integer ids from a multi-valued field (checkboxes, multi-select)."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        out = []
        for raw in value:
            raw = str(raw).strip()
            if not raw:
                continue
            if not raw.isdigit():
                raise forms.ValidationError("编号有误")
            if int(raw) not in out:
                out.append(int(raw))
        return out


class TaskForm(forms.Form):
    unit = forms.TypedChoiceField(label="布置组织", coerce=int)
    title = forms.CharField(label="任务名称", max_length=200)
    description = forms.CharField(label="要求", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    resources = IdListField(label="学习资源", required=False)
    paper = forms.TypedChoiceField(label="考试", required=False, coerce=int, empty_value=None)
    scope = forms.ChoiceField(label="布置范围", choices=list(SCOPES.items()), initial=SCOPE_SUBTREE)
    status_group = forms.ChoiceField(
        label="人员筛选",
        required=False,
        choices=[("", "全部在册人员"), *[(k, v[0]) for k, v in STATUS_GROUPS.items()]],
    )
    people = IdListField(label="指定人员", required=False)

    def __init__(self, *args, units=(), papers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{u.name}（{u.code}）") for u in units]
        self.fields["paper"].choices = [("", "不安排考试"), *[(p.pk, p.title) for p in papers]]

    def clean(self):
        data = super().clean()
        if data.get("scope") == SCOPE_CHOSEN and not data.get("people"):
            self.add_error("people", "请至少选择一人")
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        statuses = STATUS_GROUPS[d["status_group"]][1] if d.get("status_group") else []
        return {
            "unit_id": d["unit"],
            "title": d["title"],
            "description": d.get("description") or "",
            "deadline": d["deadline"],
            "resource_ids": d.get("resources") or [],
            "paper_id": d.get("paper"),
            "scope": d["scope"],
            "statuses": list(statuses) if d["scope"] == SCOPE_SUBTREE else [],
            "person_ids": (d.get("people") or []) if d["scope"] == SCOPE_CHOSEN else [],
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=500)


class TaskFilterForm(forms.Form):
    q = forms.CharField(label="任务名称", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *TaskStatus.choices])

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ProgressFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "全部"), *PROGRESS_FILTERS.items()])
    unit = forms.IntegerField(required=False, min_value=1)
