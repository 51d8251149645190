"""Forms of the meeting pages. They only parse input; every rule lives in the services, whose
field errors the views put back next to the fields."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from cloudbranch.orgs.models import OrgUnit

from .choices import InviteeScope, MeetingKind, MeetingStatus

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IntListField(forms.Field):
    """A list of ids from a multiple <select> (or repeated parameters)."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [v for v in value.replace("，", ",").split(",") if v.strip()]
        try:
            return list(dict.fromkeys(int(v) for v in value))
        except (TypeError, ValueError):
            raise forms.ValidationError("格式不正确") from None


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        elif isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        else:
            widget.attrs.setdefault("class", "form-control")


class MeetingForm(forms.Form):
    """Create or edit a meeting. The unit is picked among the user's units or given by its code;
    host, recorder, group, chosen people and theme are ids checked by the service."""

    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    title = forms.CharField(label="标题", max_length=200)
    topic = forms.CharField(label="议题", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    unit = forms.IntegerField(label="主办组织", required=False, widget=forms.Select)
    unit_code = forms.CharField(label="或填写组织编码", max_length=32, required=False)
    joint_units = IntListField(label="联合组织", required=False)
    starts_at = forms.DateTimeField(label="开始时间", widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label="结束时间", widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"])
    place = forms.CharField(label="地点", max_length=200, required=False)
    online_link = forms.CharField(label="线上会议链接", max_length=200, required=False)
    host = forms.IntegerField(label="主持人", required=False, widget=forms.Select)
    recorder = forms.IntegerField(label="记录人", required=False, widget=forms.Select)
    agenda = forms.CharField(label="议程", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    invitee_scope = forms.ChoiceField(label="参会范围", choices=InviteeScope.choices, initial=InviteeScope.WHOLE_UNIT)
    invitee_group = forms.IntegerField(label="党小组", required=False, widget=forms.Select)
    chosen_people = IntListField(label="指定人员", required=False)
    theme = forms.IntegerField(label="月度主题", required=False, widget=forms.Select)

    def __init__(self, *args, user, units=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.units = list(units)
        self.editing = editing
        self.unit_obj: OrgUnit | None = None
        if editing:
            del self.fields["unit"]
            del self.fields["unit_code"]
        _styled(self)

    @classmethod
    def initial_for(cls, meeting) -> dict:
        return {
            "kind": meeting.kind,
            "title": meeting.title,
            "topic": meeting.topic,
            "unit": meeting.unit_id,
            "joint_units": [u.pk for u in meeting.joint_units.all()],
            "starts_at": timezone.localtime(meeting.starts_at),
            "ends_at": timezone.localtime(meeting.ends_at),
            "place": meeting.place,
            "online_link": meeting.online_link,
            "host": meeting.host_id,
            "recorder": meeting.recorder_id,
            "agenda": meeting.agenda,
            "invitee_scope": meeting.invitee_scope,
            "invitee_group": meeting.invitee_group_id,
            "chosen_people": list(meeting.chosen_people or []),
            "theme": meeting.theme_id,
        }

    def clean(self):
        data = super().clean()
        if self.editing:
            return data
        code = (data.get("unit_code") or "").strip()
        if code:
            unit = OrgUnit.objects.restrict(self.user, "meetings.add_meeting").filter(code__iexact=code).first()
            if unit is None:
                self.add_error("unit_code", f"没有找到编码为 {code} 的党组织，或您无权在该组织安排会议")
            else:
                data["unit"] = unit.pk
        elif not data.get("unit"):
            self.add_error("unit", "请选择主办组织")
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        kwargs = {
            "kind": d["kind"],
            "title": d["title"],
            "topic": d.get("topic") or "",
            "starts_at": d["starts_at"],
            "ends_at": d["ends_at"],
            "place": d.get("place") or "",
            "online_link": d.get("online_link") or "",
            "host_id": d.get("host"),
            "recorder_id": d.get("recorder"),
            "agenda": d.get("agenda") or "",
            "invitee_scope": d["invitee_scope"],
            "invitee_group_id": d.get("invitee_group"),
            "chosen_people": d.get("chosen_people") or [],
            "theme_id": d.get("theme"),
            "joint_unit_ids": d.get("joint_units") or [],
        }
        if not self.editing:
            kwargs["unit_id"] = d["unit"]
        return kwargs


class MeetingFilterForm(forms.Form):
    q = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "标题或议题", "type": "search"}))
    unit = forms.IntegerField(required=False, widget=forms.Select)
    kind = forms.ChoiceField(required=False, choices=[("", "全部类型"), *MeetingKind.choices])
    status = forms.ChoiceField(required=False, choices=[("", "全部状态"), *MeetingStatus.choices])
    date_from = forms.DateField(required=False, widget=DATE_INPUT)
    date_to = forms.DateField(required=False, widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["kind"].widget.attrs["aria-label"] = "会议类型"
        self.fields["status"].widget.attrs["aria-label"] = "状态"
        self.fields["date_from"].widget.attrs["aria-label"] = "开始日期"
        self.fields["date_to"].widget.attrs["aria-label"] = "结束日期"

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消原因", max_length=500, required=False)


class ThemeForm(forms.Form):
    unit = forms.IntegerField(label="发布组织", widget=forms.Select)
    month = forms.DateField(
        label="月份",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    title = forms.CharField(label="主题", max_length=200)
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    materials = forms.CharField(
        label="学习材料", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="每行一条：标题或链接"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("month", timezone.localdate().replace(day=1))
        super().__init__(*args, **kwargs)
        _styled(self)
