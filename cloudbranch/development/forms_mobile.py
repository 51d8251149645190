"""Forms of the mobile-member and lost-contact pages (the rules live in mobile.py)."""

from __future__ import annotations

from django import forms

from .choices import ActivityKind, ContactMethod, MobileReason


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select")
        else:
            field.widget.attrs.setdefault("class", "form-control")


class _Styled(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


DATE = forms.DateInput(attrs={"type": "date"})


class MobileRecordForm(_Styled):
    started_on = forms.DateField(label="外出日期", widget=DATE)
    destination = forms.CharField(label="流入地", max_length=200, help_text="如：广东省深圳市南山区某公司")
    reason = forms.ChoiceField(label="外出原因", choices=[("", "请选择"), *MobileReason.choices])
    reason_note = forms.CharField(label="原因说明", max_length=500, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    contact_other = forms.CharField(label="其他联系方式", max_length=200, required=False, help_text="微信、邮箱等")
    expected_return_on = forms.DateField(label="预计返回日期", required=False, widget=DATE)
    mobile_branch = forms.TypedChoiceField(label="所在流动党支部", coerce=int, required=False, empty_value=None)
    card_number = forms.CharField(
        label="流动党员活动证编号", max_length=64, required=False, help_text="学校仍发放活动证的填写"
    )

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mobile_branch"].choices = [("", "暂不指定")] + [(u.pk, f"{u.name}（{u.code}）") for u in branches]


class ReturnForm(_Styled):
    returned_on = forms.DateField(label="返回日期", widget=DATE)


class ActivityForm(_Styled):
    kind = forms.ChoiceField(label="活动类型", choices=ActivityKind.choices)
    occurred_on = forms.DateField(label="日期", widget=DATE)
    title = forms.CharField(label="内容（组织生活填会议名称）", max_length=200)
    link = forms.CharField(label="会议链接或会议号（线上组织生活）", max_length=500, required=False)
    detail = forms.CharField(label="详情", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MobileReportForm(_Styled):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    content = forms.CharField(label="汇报内容", widget=forms.Textarea(attrs={"rows": 8}))


class ReviewForm(_Styled):
    comment = forms.CharField(label="支部意见", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class LostContactForm(_Styled):
    lost_since = forms.DateField(label="失去联系日期", widget=DATE)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AttemptForm(_Styled):
    attempted_on = forms.DateField(label="日期", widget=DATE)
    method = forms.ChoiceField(label="方式", choices=ContactMethod.choices)
    succeeded = forms.BooleanField(label="已联系上", required=False)
    note = forms.CharField(label="情况", max_length=500, required=False)


class SuspendForm(_Styled):
    suspended_on = forms.DateField(label="停止党籍日期", widget=DATE)


class RemoveForm(_Styled):
    removed_on = forms.DateField(label="除名日期", widget=DATE)


class RestoreForm(_Styled):
    restored_on = forms.DateField(label="恢复联系日期", widget=DATE)
