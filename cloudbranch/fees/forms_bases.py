"""Forms of the bases and billing pages."""

from django import forms

from .choices import BaseKind, BaseStatus, BillStatus


class _Styled(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)


class BaseDeclareForm(_Styled):
    person_id = forms.TypedChoiceField(label="党员", coerce=int)
    base_kind = forms.ChoiceField(label="基数类型", choices=BaseKind.choices)
    amount = forms.DecimalField(
        label="月缴费基数（元）",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    effective_from = forms.DateField(
        label="起始月份", widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    note = forms.CharField(label="说明", max_length=500, required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person_id"].choices = [(p.pk, f"{p.name}（{p.unit.name}）") for p in people]


class BaseDecideForm(forms.Form):
    approve = forms.BooleanField(required=False)
    note = forms.CharField(max_length=500, required=False)


class BaseFilterForm(_Styled):
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *BaseStatus.choices], required=False)
    kind = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *BaseKind.choices], required=False)
    q = forms.CharField(label="姓名或学号工号", required=False, max_length=64)


class BaseImportForm(forms.Form):
    file = forms.FileField(
        label="工资表（.xlsx）", widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"})
    )


class BillFilterForm(_Styled):
    month = forms.DateField(
        label="月份",
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    status = forms.ChoiceField(label="状态", choices=[("", "全部状态"), *BillStatus.choices], required=False)
    unit = forms.TypedChoiceField(label="组织", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "全部组织"), *((u.pk, u.name) for u in units)]


class ExemptForm(forms.Form):
    reason = forms.CharField(label="免缴原因", max_length=500)
