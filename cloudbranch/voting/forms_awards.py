"""Forms of the awards area. Rules live in awards.py; forms only shape the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from . import awards
from .choices import UNIT_AWARDS, AwardKind, ReviewDecision

_INPUT = {"class": "form-control"}
_SELECT = {"class": "form-select"}
_NUMBER = {"class": "form-control", "inputmode": "numeric", "min": "0"}


class RoundForm(forms.Form):
    unit = forms.ModelChoiceField(label="发起组织", queryset=None, widget=forms.Select(attrs=_SELECT))
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=_NUMBER))
    title = forms.CharField(label="名称", max_length=120, widget=forms.TextInput(attrs=_INPUT))
    kinds = forms.MultipleChoiceField(
        label="表彰类别", choices=AwardKind.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
    quota_excellent_member = forms.IntegerField(
        label="优秀共产党员名额", min_value=1, required=False, widget=forms.NumberInput(attrs=_NUMBER)
    )
    quota_excellent_worker = forms.IntegerField(
        label="优秀党务工作者名额", min_value=1, required=False, widget=forms.NumberInput(attrs=_NUMBER)
    )
    quota_advanced_org = forms.IntegerField(
        label="先进基层党组织名额", min_value=1, required=False, widget=forms.NumberInput(attrs=_NUMBER)
    )
    nomination_deadline = forms.DateField(
        label="推荐截止日期", widget=forms.DateInput(attrs={**_INPUT, "type": "date"})
    )
    notice_days = forms.IntegerField(
        label="公示期（工作日）",
        min_value=1,
        max_value=awards.MAX_NOTICE_DAYS,
        initial=awards.DEFAULT_NOTICE_DAYS,
        widget=forms.NumberInput(attrs=_NUMBER),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["year"].initial = timezone.localdate().year

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        quotas = {k: data.pop(f"quota_{k}") for k in AwardKind.values}
        return {**data, "quotas": quotas}


class NominationForm(forms.Form):
    nominating_unit = forms.ModelChoiceField(label="推荐单位", queryset=None, widget=forms.Select(attrs=_SELECT))
    kind = forms.ChoiceField(label="表彰类别", widget=forms.Select(attrs=_SELECT))
    person = forms.ModelChoiceField(
        label="推荐人选（党员）", queryset=None, required=False, widget=forms.Select(attrs=_SELECT)
    )
    nominee_unit = forms.ModelChoiceField(
        label="推荐组织（先进基层党组织）", queryset=None, required=False, widget=forms.Select(attrs=_SELECT)
    )
    deeds = forms.CharField(
        label=f"主要事迹（不少于 {awards.MIN_DEEDS} 字）",
        widget=forms.Textarea(attrs={**_INPUT, "rows": 8}),
        max_length=5000,
    )

    def __init__(self, *args, award_round, units, people, nominee_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nominating_unit"].queryset = units
        self.fields["kind"].choices = [(k, AwardKind(k).label) for k in award_round.kinds if k in AwardKind.values]
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: f"{p.name}（{p.unit.name}）"
        self.fields["nominee_unit"].queryset = nominee_units

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in UNIT_AWARDS:
            data["person"] = None
            if not data.get("nominee_unit") and "nominee_unit" not in self.errors:
                self.add_error("nominee_unit", "请选择推荐的党组织。")
        elif kind:
            data["nominee_unit"] = None
            if not data.get("person") and "person" not in self.errors:
                self.add_error("person", "请选择推荐的党员。")
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核意见",
        choices=[(ReviewDecision.APPROVE, "同意"), (ReviewDecision.REJECT, "不同意")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="意见说明（不同意时必填）",
        required=False,
        max_length=awards.COMMENT_MAX,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 2}),
    )


class VoteForm(forms.Form):
    votes_for = forms.IntegerField(label="赞成", min_value=0, widget=forms.NumberInput(attrs=_NUMBER))
    votes_against = forms.IntegerField(label="反对", min_value=0, widget=forms.NumberInput(attrs=_NUMBER))
    abstentions = forms.IntegerField(label="弃权", min_value=0, widget=forms.NumberInput(attrs=_NUMBER))
    present = forms.IntegerField(label="实到", min_value=0, widget=forms.NumberInput(attrs=_NUMBER))
    entitled = forms.IntegerField(label="应到", min_value=1, widget=forms.NumberInput(attrs=_NUMBER))


class NoticeForm(forms.Form):
    starts_on = forms.DateField(label="公示开始日期", widget=forms.DateInput(attrs={**_INPUT, "type": "date"}))


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=f"反映内容（不少于 {awards.MIN_OBJECTION} 字）",
        max_length=4000,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 4}),
    )


class HandleForm(forms.Form):
    finding = forms.CharField(label="核查结论", max_length=4000, widget=forms.Textarea(attrs={**_INPUT, "rows": 3}))
    upheld = forms.TypedChoiceField(
        label="反映是否属实",
        choices=[("1", "属实（撤销该人选）"), ("0", "不属实")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
