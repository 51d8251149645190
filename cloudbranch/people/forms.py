"""Forms for the roster pages. They only parse input; every rule lives in ``validation.check_person``
and the services, whose errors the view puts back next to the fields."""

from __future__ import annotations

from django import forms

from cloudbranch.orgs.models import OrgUnit

from .choices import Category, CommitteePosition, Gender, PoliticalStatus, RosterStatus
from .selectors import FLAG_FILTERS, SORTS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STAGE_DATE_FIELDS = ("applied_on", "activist_on", "candidate_on", "joined_on", "confirmed_on")
# Service/validation field name → form field name, where they differ.
ERROR_FIELD_MAP = {"unit": "unit_code", "unit_id": "unit_code"}


class PersonForm(forms.Form):
    """Create or edit a person. ``unit_code`` is resolved among the units where the user holds
    ``perm`` (add on create, change on edit); on edit an empty ID number keeps the stored one."""

    name = forms.CharField(label="姓名", max_length=64)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    ethnicity = forms.CharField(label="民族", max_length=16, required=False)
    id_number = forms.CharField(label="身份证号", max_length=32, required=True)
    birth_date = forms.DateField(label="出生日期", required=False, widget=DATE_INPUT, help_text="留空则按身份证号填写")
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    staff_number = forms.CharField(label="学号工号", max_length=32, required=False)
    category = forms.ChoiceField(label="人员类别", choices=Category.choices)
    college = forms.CharField(label="学院", max_length=100, required=False)
    department = forms.CharField(label="班级或部门", max_length=100, required=False)
    education = forms.CharField(label="学历", max_length=32, required=False)
    unit_code = forms.CharField(label="所在党组织编码", max_length=32)
    political_status = forms.ChoiceField(label="政治面貌", choices=PoliticalStatus.choices)
    applied_on = forms.DateField(label="申请入党日期", required=False, widget=DATE_INPUT)
    activist_on = forms.DateField(label="确定积极分子日期", required=False, widget=DATE_INPUT)
    candidate_on = forms.DateField(label="确定发展对象日期", required=False, widget=DATE_INPUT)
    joined_on = forms.DateField(label="入党日期", required=False, widget=DATE_INPUT)
    confirmed_on = forms.DateField(label="转正日期", required=False, widget=DATE_INPUT)
    is_mobile = forms.BooleanField(label="流动党员", required=False)
    is_lost_contact = forms.BooleanField(label="失联", required=False)
    is_abroad = forms.BooleanField(label="出国境", required=False)

    def __init__(self, *args, user, perm: str, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.perm = perm
        self.editing = editing
        self.unit: OrgUnit | None = None
        if editing:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = "不修改请留空"
            self.fields["effective_on"] = forms.DateField(
                label="变动生效日期", required=False, widget=DATE_INPUT, help_text="政治面貌、组织或标记变动时填写"
            )
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "inputmode": "text"})
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        self.fields["unit_code"].widget.attrs["list"] = "unit-codes"

    def mark_invalid(self) -> None:
        """Bootstrap's red outline on the fields that have errors."""
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = (attrs.get("class", "") + " is-invalid").strip()
                attrs["aria-invalid"] = "true"

    def clean_unit_code(self):
        code = self.cleaned_data["unit_code"].strip().upper()
        unit = OrgUnit.objects.restrict(self.user, self.perm).filter(code__iexact=code).first()
        if unit is None:
            raise forms.ValidationError(
                "没有找到编码为 %(code)s 的党组织，或您无权在该组织录入人员", params={"code": code}
            )
        self.unit = unit
        return unit.code

    def service_kwargs(self) -> dict:
        """Cleaned values as keyword arguments for ``person_create`` / ``person_update``."""
        data = dict(self.cleaned_data)
        data.pop("unit_code", None)
        data["unit_id"] = self.unit.pk if self.unit else None
        for key in ("name", "ethnicity", "phone", "staff_number", "college", "department", "education"):
            data[key] = (data.get(key) or "").strip()
        id_number = (data.pop("id_number", "") or "").strip()
        if id_number or not self.editing:
            data["id_number"] = id_number
        if self.editing and data.get("birth_date") is None:
            data.pop("birth_date")
        return data

    @classmethod
    def initial_for(cls, person) -> dict:
        fields = [name for name in cls.base_fields if name not in ("id_number", "unit_code")]
        initial = {name: getattr(person, name) for name in fields}
        initial["unit_code"] = person.unit.code
        return initial


class RosterFilterForm(forms.Form):
    """The roster's filters (all optional); invalid values are ignored rather than refused."""

    q = forms.CharField(required=False, label="搜索")
    unit = forms.IntegerField(required=False, label="党组织")
    status = forms.ChoiceField(
        required=False, label="政治面貌", choices=[("", "全部政治面貌"), *PoliticalStatus.choices]
    )
    category = forms.ChoiceField(required=False, label="人员类别", choices=[("", "全部类别"), *Category.choices])
    flag = forms.ChoiceField(
        required=False,
        label="标记",
        choices=[("", "全部标记"), ("mobile", "流动党员"), ("lost", "失联"), ("abroad", "出国境")],
    )
    roster = forms.ChoiceField(
        required=False,
        label="在册状态",
        choices=[
            ("", "在册"),
            *[(v, label) for v, label in RosterStatus.choices if v != RosterStatus.ACTIVE],
            ("all", "全部"),
        ],
    )
    sort = forms.ChoiceField(
        required=False,
        label="排序",
        choices=[
            ("", "按组织"),
            ("name", "姓名 A→Z"),
            ("-name", "姓名 Z→A"),
            ("status", "政治面貌"),
            ("joined", "入党日期（早→晚）"),
            ("-joined", "入党日期（晚→早）"),
            ("-updated", "最近更新"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
                field.widget.attrs.setdefault("aria-label", field.label)

    def filters(self) -> dict:
        """The valid filters only, as ``selectors.person_list`` takes them."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        out = {}
        for key in self.base_fields:
            if key in self.errors:
                continue
            value = data.get(key)
            if value not in (None, ""):
                out[key] = value
        if out.get("flag") not in FLAG_FILTERS:
            out.pop("flag", None)
        if out.get("sort") not in SORTS:
            out.pop("sort", None)
        return out


class CommitteeSeatForm(forms.Form):
    person = forms.TypedChoiceField(label="委员", coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    position = forms.ChoiceField(
        label="职务", choices=CommitteePosition.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    started_on = forms.DateField(
        label="任职日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control"})
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "请选择正式党员")] + [
            (p.pk, f"{p.name}（{p.unit.name}）") for p in candidates
        ]


class CommitteeEndForm(forms.Form):
    ended_on = forms.DateField(
        label="离任日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"})
    )
