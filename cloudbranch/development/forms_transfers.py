"""Forms of the transfer pages (组织关系转接). They only shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from cloudbranch.people.choices import Category, Gender, PoliticalStatus

from .choices import TransferKind, TransferStatus
from .transfers import DEFAULT_VALID_DAYS, MAX_VALID_DAYS, TABS

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


class TransferFilterForm(forms.Form):
    tab = forms.ChoiceField(required=False, choices=list(TABS.items()))
    q = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "姓名或介绍信编号", "type": "search"}),
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "全部类型"), *TransferKind.choices], widget=forms.Select(attrs=SELECT)
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "全部状态"), *TransferStatus.choices], widget=forms.Select(attrs=SELECT)
    )
    batch = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self) -> dict:
        if not self.is_valid():
            return {"tab": "all"}
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        data.setdefault("tab", "all")
        return data


class InternalForm(forms.Form):
    person = forms.IntegerField(label="转接人员", widget=forms.HiddenInput)
    to_unit = forms.CharField(
        label="接收党组织编码",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                **TEXT,
                "placeholder": "输入名称或编码搜索",
                "autocomplete": "off",
                "hx-get": reverse_lazy("development:transfer_unit_search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#unit-results",
            }
        ),
    )
    reason = forms.CharField(label="转接原因", max_length=200, widget=forms.TextInput(attrs=TEXT))
    dues_paid_until = forms.DateField(label="党费交至", required=False, widget=DATE)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class OutgoingForm(forms.Form):
    person = forms.IntegerField(label="转接人员", widget=forms.HiddenInput)
    external_org = forms.CharField(
        label="去向党组织",
        max_length=200,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "接收组织关系的党组织全称"}),
    )
    reason = forms.CharField(label="转接原因", max_length=200, widget=forms.TextInput(attrs=TEXT))
    letter_number = forms.CharField(
        label="介绍信编号",
        required=False,
        max_length=64,
        help_text="不填则自动编号（如 CB-2026-000123）",
        widget=forms.TextInput(attrs=TEXT),
    )
    letter_valid_days = forms.IntegerField(
        label="介绍信有效期（天）",
        min_value=1,
        max_value=MAX_VALID_DAYS,
        initial=DEFAULT_VALID_DAYS,
        widget=forms.NumberInput(attrs=TEXT),
    )
    dues_paid_until = forms.DateField(label="党费交至", required=False, widget=DATE)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))


class IncomingForm(forms.Form):
    to_unit_id = forms.TypedChoiceField(label="接收党组织", coerce=int, widget=forms.Select(attrs=SELECT))
    name = forms.CharField(label="姓名", max_length=64, widget=forms.TextInput(attrs=TEXT))
    id_number = forms.CharField(
        label="身份证号", max_length=18, widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"})
    )
    gender = forms.ChoiceField(
        label="性别", required=False, choices=[("", "按身份证号"), *Gender.choices], widget=forms.Select(attrs=SELECT)
    )
    ethnicity = forms.CharField(label="民族", required=False, max_length=16, widget=forms.TextInput(attrs=TEXT))
    category = forms.ChoiceField(label="人员类别", choices=Category.choices, widget=forms.Select(attrs=SELECT))
    phone = forms.CharField(label="手机号", required=False, max_length=20, widget=forms.TextInput(attrs=TEXT))
    political_status = forms.ChoiceField(
        label="政治面貌",
        choices=[(PoliticalStatus.PROBATIONARY, "中共预备党员"), (PoliticalStatus.FULL, "中共正式党员")],
        widget=forms.Select(attrs=SELECT),
    )
    joined_on = forms.DateField(label="入党日期", widget=DATE)
    confirmed_on = forms.DateField(label="转正日期", required=False, widget=DATE)
    external_org = forms.CharField(label="原所在党组织", max_length=200, widget=forms.TextInput(attrs=TEXT))
    letter_number = forms.CharField(
        label="介绍信编号", required=False, max_length=64, widget=forms.TextInput(attrs=TEXT)
    )
    reason = forms.CharField(label="转入原因", max_length=200, widget=forms.TextInput(attrs=TEXT))
    dues_paid_until = forms.DateField(label="党费交至", required=False, widget=DATE)
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={**TEXT, "rows": 2}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit_id"].choices = [(u.pk, f"{u.name}（{u.code}）") for u in units]


FORMS = {TransferKind.INTERNAL: InternalForm, TransferKind.OUTGOING: OutgoingForm, TransferKind.INCOMING: IncomingForm}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approved", "同意"), ("rejected", "退回")])
    comment = forms.CharField(required=False, max_length=500)


class ReceiptForm(forms.Form):
    returned_on = forms.DateField(label="回执返回日期", widget=DATE)


class BatchUploadForm(forms.Form):
    unit = forms.TypedChoiceField(label="转出组织", coerce=int, widget=forms.Select(attrs=SELECT))
    title = forms.CharField(label="批次名称", required=False, max_length=200, widget=forms.TextInput(attrs=TEXT))
    file = forms.FileField(
        label="名单文件（.xlsx）", widget=forms.ClearableFileInput(attrs={**TEXT, "accept": ".xlsx"})
    )
    dry_run = forms.BooleanField(label="仅校验，不提交", required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{u.name}（{u.code}）") for u in units]


class BatchSelectForm(forms.Form):
    unit = forms.TypedChoiceField(label="转出组织", coerce=int, widget=forms.Select(attrs=SELECT))
    department = forms.CharField(label="班级", required=False, max_length=100)
    people = forms.TypedMultipleChoiceField(label="人员", coerce=int, required=False)
    kind = forms.ChoiceField(
        label="转接类型",
        choices=[(TransferKind.OUTGOING, "转出至系统外"), (TransferKind.INTERNAL, "系统内转接")],
        widget=forms.Select(attrs=SELECT),
    )
    external_org = forms.CharField(
        label="去向党组织", required=False, max_length=200, widget=forms.TextInput(attrs=TEXT)
    )
    to_unit = forms.CharField(label="接收组织编码", required=False, max_length=32, widget=forms.TextInput(attrs=TEXT))
    reason = forms.CharField(label="原因", required=False, max_length=200, widget=forms.TextInput(attrs=TEXT))
    dues_paid_until = forms.DateField(label="党费交至", required=False, widget=DATE)
    title = forms.CharField(label="批次名称", required=False, max_length=200, widget=forms.TextInput(attrs=TEXT))
    dry_run = forms.BooleanField(label="仅校验，不提交", required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{u.name}（{u.code}）") for u in units]
        # The people offered are loaded by HTMX; any id is accepted here and checked by the service.
        raw = self.data.getlist("people") if hasattr(self.data, "getlist") else []
        self.fields["people"].choices = [(v, v) for v in raw if str(v).isdigit()]
