"""Forms of the cases area. The step form has exactly the fields a step needs, read from the
rule step's requirements (votes, training, sponsors/introducers, conclusion, decision,
recommendation, assessment result)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .cases import full_members_qs, picker_unit
from .choices import CaseStatus, ContactRole, Stage, TerminationReason

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}

VOTE_FIELDS = (
    ("entitled", "应到会有表决权的正式党员"),
    ("present", "实到会有表决权的正式党员"),
    ("written", "会前提出书面意见的（未到会）"),
    ("in_favour", "赞成（含书面意见中的赞成）"),
    ("against", "反对"),
    ("abstain", "弃权"),
)
RESULTS = (("优秀", "优秀"), ("合格", "合格"), ("基本合格", "基本合格"), ("不合格", "不合格"))


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.unit.name}）"


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        required=False, widget=forms.TextInput(attrs={**TEXT, "placeholder": "姓名或学号", "type": "search"})
    )
    stage = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "全部阶段"), *Stage.choices]
    )
    status = forms.ChoiceField(required=False, choices=[("", "全部状态"), *CaseStatus.choices])
    due = forms.ChoiceField(
        required=False, choices=[("", "不限期限"), ("overdue", "已逾期"), ("30", "30 天内到期"), ("7", "7 天内到期")]
    )
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("stage", "status", "due"):
            self.fields[name].widget.attrs.update(SELECT)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class CaseOpenForm(forms.Form):
    applied_on = forms.DateField(label="申请入党日期（党组织收到申请书之日）", widget=DATE)
    expected_leave_on = forms.DateField(label="预计离校（离开单位）日期", required=False, widget=DATE)
    note = forms.CharField(label="情况说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    document = forms.FileField(label="入党申请书（扫描件，可选）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].widget.attrs.update(TEXT)
        if not self.is_bound:
            self.initial.setdefault("applied_on", timezone.localdate())


class StepForm(forms.Form):
    """Built for one rule step of one case."""

    occurred_on = forms.DateField(label="日期", widget=DATE)
    decided_by = forms.CharField(label="审批或经办（会议、组织或人员）", required=False, max_length=200)
    note = forms.CharField(label="情况说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))
    late_reason = forms.CharField(
        label="逾期或特殊情况说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2})
    )

    def __init__(self, *args, step, case, step_state=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        self.case = case
        self.fields["decided_by"].widget.attrs.update(TEXT)
        req = step.requirements or {}
        if not self.is_bound:
            self.initial.setdefault("occurred_on", timezone.localdate())
        if req.get("vote"):
            for name, label in VOTE_FIELDS:
                self.fields[name] = forms.IntegerField(
                    label=label,
                    min_value=0,
                    required=name in ("entitled", "present", "in_favour"),
                    widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}),
                )
        if "training" in req:
            self.fields["days"] = forms.DecimalField(
                label="培训天数", min_value=0, max_digits=5, decimal_places=1, required=False,
                widget=forms.NumberInput(attrs={**TEXT, "step": "0.5"}),
            )  # fmt: skip
            self.fields["hours"] = forms.DecimalField(
                label="培训学时", min_value=0, max_digits=6, decimal_places=1, required=False,
                widget=forms.NumberInput(attrs={**TEXT, "step": "0.5"}),
            )  # fmt: skip
        unit = picker_unit(case.person.unit)
        members = full_members_qs(unit).exclude(pk=case.person_id).select_related("unit").order_by("name")
        if "sponsors" in req:
            self.fields["sponsors"] = PersonChoiceField(
                label="培养联系人（一至两名正式党员）",
                queryset=members,
                required=False,
                widget=forms.SelectMultiple(attrs={**SELECT, "size": 6}),
            )
        if "introducers" in req:
            self.fields["introducers"] = PersonChoiceField(
                label="入党介绍人（两名正式党员，一般由培养联系人担任）",
                queryset=members,
                required=False,
                widget=forms.SelectMultiple(attrs={**SELECT, "size": 6}),
            )
            if not self.is_bound:
                self.initial.setdefault(
                    "introducers",
                    [c.person_id for c in case.contacts.all() if c.role == ContactRole.SPONSOR and c.ended_on is None],
                )
        if req.get("recommendation"):
            self.fields["recommendation"] = forms.ChoiceField(
                label="推荐方式",
                choices=[("", "请选择"), *((r, r) for r in req["recommendation"])],
                required=False,
                widget=forms.Select(attrs=SELECT),
            )
        if req.get("conclusion"):
            self.fields["conclusion"] = forms.ChoiceField(
                label="政治审查结论",
                choices=[("passed", "合格"), ("failed", "不合格")],
                widget=forms.Select(attrs=SELECT),
            )
        if req.get("decision"):
            self.fields["decision"] = forms.ChoiceField(
                label="党委审批意见",
                choices=[("approved", "同意"), ("rejected", "不同意")],
                widget=forms.Select(attrs=SELECT),
            )
        if req.get("every_months"):
            self.fields["result"] = forms.ChoiceField(
                label="考察结果", choices=RESULTS, initial="合格", widget=forms.Select(attrs=SELECT)
            )
        # The reason is asked for when the step is late, or may break the leaving rule.
        today = timezone.localdate()
        self.needs_reason = bool(
            req.get("leaving_months")
            or (step_state is not None and step_state.due and step_state.due < today)
            or (self.is_bound and (self.data.get("late_reason") or "").strip())
        )

    DATA_FIELDS = ("recommendation", "conclusion", "decision", "result", *(n for n, _ in VOTE_FIELDS))

    def step_data(self) -> dict:
        """The record's ``data`` from the cleaned fields."""
        cd = self.cleaned_data
        data: dict = {}
        for name in self.DATA_FIELDS:
            if name in self.fields and cd.get(name) not in (None, ""):
                data[name] = cd[name]
        for name in ("days", "hours"):
            if name in self.fields:
                value = cd.get(name)
                data[name] = float(value) if value is not None else 0
        for name in ("sponsors", "introducers"):
            if name in self.fields:
                data[name] = [p.pk for p in cd.get(name) or []]
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=500, widget=forms.TextInput(attrs=TEXT))


class ExtendForm(forms.Form):
    months = forms.IntegerField(
        label="延长（月）", min_value=1, max_value=24, widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"})
    )
    decided_on = forms.DateField(label="决定日期", widget=DATE)
    reason = forms.CharField(label="延长原因", widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class TerminateForm(forms.Form):
    reason = forms.ChoiceField(label="终止原因", choices=TerminationReason.choices, widget=forms.Select(attrs=SELECT))
    terminated_on = forms.DateField(label="终止日期", widget=DATE)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("terminated_on", timezone.localdate())


class ContactReplaceForm(forms.Form):
    role = forms.ChoiceField(choices=ContactRole.choices, widget=forms.HiddenInput)
    old_contact = forms.IntegerField(widget=forms.HiddenInput)
    new_person = forms.ModelChoiceField(label="新的人选", queryset=None, widget=forms.Select(attrs=SELECT))
    reason = forms.CharField(label="更换原因", max_length=200, widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_person"].queryset = (
            full_members_qs(picker_unit(case.person.unit))
            .exclude(pk=case.person_id)
            .select_related("unit")
            .order_by("name")
        )
        self.fields["new_person"].label_from_instance = lambda p: f"{p.name}（{p.unit.name}）"
