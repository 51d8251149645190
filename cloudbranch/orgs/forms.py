"""Page forms for the organization tree. They only parse input; the rules live in ``services``."""

from __future__ import annotations

from django import forms

from cloudbranch.core.errors import DomainError

from .choices import ALLOWED_CHILDREN, UnitKind
from .roles import Role


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def apply_domain_error(self, exc: DomainError, field_map: dict[str, str] | None = None) -> list[str]:
        """Put the error's field messages on the fields; return the rest (shown above the form)."""
        field_map = field_map or {}
        loose = []
        for item in exc.errors:
            name = field_map.get(item.get("field") or "", item.get("field") or "")
            if name in self.fields:
                self.add_error(name, item.get("message", ""))
            elif item.get("message") and item.get("message") != exc.message:
                loose.append(item["message"])
        return loose


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UnitForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label="组织编码", max_length=32)
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices)
    sort_order = forms.IntegerField(label="排序", initial=0, required=False)
    founded_on = forms.DateField(label="成立日期", required=False, widget=DateInput())
    term_years = forms.IntegerField(label="任期（年）", initial=3, min_value=1, max_value=10)
    term_started_on = forms.DateField(label="本届任期开始", required=False, widget=DateInput())
    description = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        if parent is not None:
            allowed = ALLOWED_CHILDREN[parent.kind]
            self.fields["kind"].choices = [(v, label) for v, label in UnitKind.choices if v in allowed]

    def cleaned_values(self) -> dict:
        data = dict(self.cleaned_data)
        data["sort_order"] = data.get("sort_order") or 0
        return data


class MoveForm(BootstrapMixin, forms.Form):
    parent_code = forms.CharField(
        label="新的上级组织编码",
        max_length=32,
        help_text="输入编码，或输入名称后从候选中选择。",
        widget=forms.TextInput(attrs={"list": "unit-pick-options", "autocomplete": "off"}),
    )


class MergeForm(BootstrapMixin, forms.Form):
    target_code = forms.CharField(
        label="并入组织编码",
        max_length=32,
        help_text="只能并入同类型的组织；下级组织和在册人员将一并转入。",
        widget=forms.TextInput(attrs={"list": "unit-pick-options", "autocomplete": "off"}),
    )
    merged_on = forms.DateField(label="合并日期", required=False, widget=DateInput())


class DissolveForm(BootstrapMixin, forms.Form):
    dissolved_on = forms.DateField(label="撤销日期", widget=DateInput())
    reason = forms.CharField(label="撤销原因", max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class RoleGrantForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    unit_code = forms.CharField(label="组织编码", max_length=32)
    role = forms.ChoiceField(label="角色", choices=Role.choices)


class RoleFilterForm(BootstrapMixin, forms.Form):
    unit_code = forms.CharField(label="组织编码", required=False)
    username = forms.CharField(label="用户", required=False)
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部角色"), *Role.choices])
