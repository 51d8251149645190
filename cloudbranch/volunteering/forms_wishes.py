"""Forms of the micro-wishes pages. They only collect the input; every rule is checked by the
services in ``wishes``."""

from __future__ import annotations

from django import forms

from .choices import WishCategory, WisherKind, WishStatus


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class WishForm(forms.Form):
    unit = forms.TypedChoiceField(label="发布组织", coerce=int)
    title = forms.CharField(label="心愿", max_length=120)
    category = forms.ChoiceField(label="类别", choices=WishCategory.choices)
    description = forms.CharField(label="详细说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    wisher_kind = forms.ChoiceField(label="心愿人类型", choices=WisherKind.choices)
    wisher_name = forms.CharField(label="心愿人姓名", max_length=64, help_text="对党员只显示姓氏，如“张*”。")
    wisher_contact = forms.CharField(
        label="联系方式", max_length=64, required=False, help_text="只对认领人和本组织党务工作者显示。"
    )
    wisher_note = forms.CharField(label="心愿人情况", max_length=200, required=False)
    deadline = forms.DateField(label="期望实现日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, units=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if editing:
            del self.fields["unit"]
        _style(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))


class CommentForm(forms.Form):
    comment = forms.CharField(label="退回意见", max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))


class FulfilForm(forms.Form):
    photo = forms.FileField(
        label="实现照片（JPG、PNG，不超过 10 MB）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "class": "form-control"}),
    )
    note = forms.CharField(label="实现情况", widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))


class ManageFilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *WishStatus.choices])
