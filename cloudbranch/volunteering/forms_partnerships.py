"""Forms of the co-building pages. They only collect the input; the rules (period order, goals,
links to meetings and posts of the unit's subtree, agreement file type) are checked by the
services in ``partnerships``."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .choices import PartnerKind, PartnershipStatus


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


def _date(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))


class PartnerForm(forms.Form):
    unit = forms.TypedChoiceField(label="登记组织", coerce=int)
    name = forms.CharField(label="单位名称", max_length=120)
    kind = forms.ChoiceField(label="单位类型", choices=PartnerKind.choices)
    party_org = forms.CharField(label="对方党组织", max_length=120, required=False)
    contact_name = forms.CharField(label="联系人", max_length=64, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=32, required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)

    def __init__(self, *args, units=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if editing:
            del self.fields["unit"]
        _style(self)


class PartnershipForm(forms.Form):
    unit = forms.TypedChoiceField(label="我方组织", coerce=int)
    partner = forms.TypedChoiceField(label="共建单位", coerce=int)
    title = forms.CharField(label="共建名称", max_length=120)
    goals = forms.CharField(label="共建目标（每行一项）", widget=forms.Textarea(attrs={"rows": 4}))
    agreement = forms.CharField(label="协议要点", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    agreement_file = forms.FileField(
        label="协议文本（PDF、Word、Excel、PowerPoint，可选）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.pptx"}),
    )
    signed_on = _date("签约日期")
    starts_on = _date("开始日期")
    ends_on = _date("结束日期")

    def __init__(self, *args, units=(), partners=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["partner"].choices = [(p.pk, f"{p.name}（{p.get_kind_display()}）") for p in partners]
        if editing:
            del self.fields["unit"]
        _style(self)


class EndForm(forms.Form):
    reason = forms.CharField(label="终止原因", max_length=200, widget=forms.TextInput(attrs={"class": "form-control"}))


class ActivityForm(forms.Form):
    held_on = _date("活动日期")
    title = forms.CharField(label="活动名称", max_length=120)
    summary = forms.CharField(label="活动内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    participants = forms.IntegerField(label="参加人数", min_value=0, initial=0)
    goal_index = forms.TypedChoiceField(label="对应目标", coerce=int, required=False, empty_value=None)
    meeting = forms.TypedChoiceField(label="关联会议（可选）", coerce=int, required=False, empty_value=None)
    post = forms.TypedChoiceField(label="关联动态（可选）", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, goals=(), meetings=(), posts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal_index"].choices = [("", "不对应具体目标")] + [
            (i, f"{i + 1}. {g}") for i, g in enumerate(goals)
        ]
        self.fields["meeting"].choices = [("", "不关联")] + [
            (m.pk, f"{timezone.localtime(m.starts_at):%Y-%m-%d} {m.title}") for m in meetings
        ]
        self.fields["post"].choices = [("", "不关联")] + [
            (p.pk, f"{timezone.localtime(p.created_at):%Y-%m-%d} {(p.body or '图片动态')[:30]}") for p in posts
        ]
        _style(self)


class SummaryForm(forms.Form):
    text = forms.CharField(label="年度总结", widget=forms.Textarea(attrs={"rows": 16, "class": "form-control"}))


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *PartnershipStatus.choices])
    kind = forms.ChoiceField(label="单位类型", required=False, choices=[("", "全部类型"), *PartnerKind.choices])
