"""Forms of the posts area: they only collect input; the rules live in posts.py / signups.py."""

from __future__ import annotations

from django import forms

from .choices import ContentType, ServiceArea, Skill

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class BootstrapMixin:
    """Bootstrap classes on the widgets (the templates render fields one by one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class PostForm(BootstrapMixin, forms.Form):
    unit = forms.TypedChoiceField(label="发布组织", coerce=int)
    title = forms.CharField(label="岗位名称", max_length=120)
    area = forms.ChoiceField(label="服务领域", choices=ServiceArea.choices)
    content_type = forms.ChoiceField(label="服务内容", choices=ContentType.choices)
    place = forms.CharField(label="服务地点", max_length=200)
    description = forms.CharField(label="岗位说明", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    skills = forms.MultipleChoiceField(
        label="所需特长", required=False, choices=Skill.choices, widget=forms.CheckboxSelectMultiple
    )
    contact = forms.CharField(label="联系人及电话", max_length=100, required=False)

    def __init__(self, *args, units=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if editing:
            del self.fields["unit"]


class ShiftForm(BootstrapMixin, forms.Form):
    starts_at = forms.DateTimeField(label="开始时间", widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(label="结束时间", widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    headcount = forms.IntegerField(label="招募人数", min_value=1, max_value=10000, initial=5)
    signup_deadline = forms.DateTimeField(
        label="报名截止（默认为开始时间）", required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )
    cancel_cutoff = forms.DateTimeField(
        label="取消报名截止（默认为开始时间）", required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS
    )


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class HoursForm(BootstrapMixin, forms.Form):
    hours = forms.DecimalField(label="核定时长（小时）", required=False, min_value=0, max_value=24, decimal_places=1)
    reason = forms.CharField(label="调整理由", required=False, max_length=200)
    rating = forms.TypedChoiceField(
        label="评价志愿者",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(i, i) for i in range(1, 6)],
    )
    comment = forms.CharField(label="评语", required=False, max_length=300)


class RateForm(BootstrapMixin, forms.Form):
    rating = forms.TypedChoiceField(label="评分", coerce=int, choices=[(i, f"{i} 星") for i in range(5, 0, -1)])
    comment = forms.CharField(label="评语", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class ManualForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="补录", choices=[("in", "签到"), ("out", "签退")])
    at = forms.DateTimeField(label="时间", required=False, widget=DATETIME_INPUT, input_formats=DATETIME_FORMATS)
    reason = forms.CharField(label="理由", max_length=200)
