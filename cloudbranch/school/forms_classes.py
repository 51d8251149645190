"""Forms of the classes area: they only parse input; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from .choices import ClassKind, ClassStatus, EnrolmentStatus, SessionKind

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ClassFilterForm(forms.Form):
    year = forms.IntegerField(required=False, min_value=2000, max_value=2100, label="年度")
    kind = forms.ChoiceField(required=False, choices=[("", "全部类型"), *ClassKind.choices], label="类型")
    status = forms.ChoiceField(required=False, choices=[("", "全部状态"), *ClassStatus.choices], label="状态")
    q = forms.CharField(required=False, max_length=60, label="名称")

    def filters(self) -> dict:
        return self.cleaned_data if self.is_valid() else {}


class ClassForm(forms.Form):
    unit = forms.TypedChoiceField(coerce=int, label="举办单位")
    kind = forms.ChoiceField(choices=ClassKind.choices, label="班次类型")
    title = forms.CharField(max_length=120, label="班次名称")
    year = forms.IntegerField(min_value=2000, max_value=2100, label="年度")
    term = forms.CharField(max_length=32, required=False, label="期次")
    starts_on = forms.DateField(widget=DATE, label="开班日期")
    ends_on = forms.DateField(widget=DATE, label="结业日期")
    capacity = forms.IntegerField(min_value=1, label="招收人数")
    pass_hours = forms.DecimalField(
        max_digits=5, decimal_places=1, required=False, label="结业所需学时", help_text="留空按班次类型的默认值"
    )
    period_minutes = forms.IntegerField(min_value=10, max_value=120, initial=45, label="每学时分钟数")
    head_teacher = forms.CharField(max_length=150, label="班主任（登录账号）")
    lecturers = forms.CharField(max_length=300, required=False, label="授课教师")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="培训方案")
    since_months = forms.IntegerField(
        min_value=1,
        max_value=120,
        required=False,
        label="报名条件：近 N 个月内确定",
        help_text="如 12：近一年内确定为积极分子",
    )
    rule_units = forms.CharField(required=False, label="报名条件：限定组织编号", help_text="用逗号分隔，留空为全部")
    exam_paper = forms.IntegerField(required=False, min_value=1, label="结业考试试卷编号")
    exam_pass_score = forms.DecimalField(max_digits=6, decimal_places=1, required=False, label="考试合格分")

    def __init__(self, *args, units=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if editing:
            del self.fields["unit"]

    def clean_head_teacher(self):
        username = self.cleaned_data["head_teacher"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError("没有这个账号")
        return user.pk

    def clean_rule_units(self):
        raw = (self.cleaned_data.get("rule_units") or "").replace("，", ",")
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise forms.ValidationError("请填写组织编号，用逗号分隔") from None

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        rule = {}
        if d.get("since_months"):
            rule["since_months"] = d["since_months"]
        if d.get("rule_units"):
            rule["units"] = d["rule_units"]
        out = {
            "kind": d["kind"],
            "title": d["title"],
            "year": d["year"],
            "term": d.get("term") or "",
            "starts_on": d["starts_on"],
            "ends_on": d["ends_on"],
            "capacity": d["capacity"],
            "pass_hours": d.get("pass_hours"),
            "period_minutes": d["period_minutes"],
            "head_teacher_id": d["head_teacher"],
            "lecturers": d.get("lecturers") or "",
            "description": d.get("description") or "",
            "enrolment_rule": rule,
            "exam_paper_id": d.get("exam_paper"),
            "exam_pass_score": d.get("exam_pass_score"),
        }
        if "unit" in self.fields:
            out["unit_id"] = d["unit"]
        return out

    @staticmethod
    def initial_for(tc) -> dict:
        rule = tc.enrolment_rule or {}
        return {
            "kind": tc.kind,
            "title": tc.title,
            "year": tc.year,
            "term": tc.term,
            "starts_on": tc.starts_on,
            "ends_on": tc.ends_on,
            "capacity": tc.capacity,
            "pass_hours": tc.pass_hours,
            "period_minutes": tc.period_minutes,
            "head_teacher": tc.head_teacher.username,
            "lecturers": tc.lecturers,
            "description": tc.description,
            "since_months": rule.get("since_months"),
            "rule_units": ",".join(str(u) for u in rule.get("units") or []),
            "exam_paper": tc.exam_paper_id,
            "exam_pass_score": tc.exam_pass_score,
        }


FIELD_MAP = {
    "head_teacher_id": "head_teacher",
    "exam_paper_id": "exam_paper",
    "enrolment_rule": "since_months",
    "unit_id": "unit",
}


class SessionForm(forms.Form):
    kind = forms.ChoiceField(choices=SessionKind.choices, label="形式")
    title = forms.CharField(max_length=120, label="课程名称")
    lecturer = forms.CharField(max_length=64, required=False, label="授课人")
    position = forms.IntegerField(min_value=0, max_value=999, required=False, label="顺序")
    starts_at = forms.DateTimeField(widget=DATETIME, required=False, label="开始时间")
    ends_at = forms.DateTimeField(widget=DATETIME, required=False, label="结束时间")
    place = forms.CharField(max_length=200, required=False, label="地点（线下）")
    stream_url = forms.URLField(max_length=500, required=False, label="直播或会议链接（直播）")
    hours = forms.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        label="学时",
        help_text="留空按时长计算（每学时分钟数，向下取整到 0.5）",
    )
    replay = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="回放（直播结束后）")

    def __init__(self, *args, replays=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replay"].choices = [("", "（无）"), *[(r.pk, r.title) for r in replays]]
        if editing:
            self.fields["kind"].disabled = True

    def service_kwargs(self, *, editing=False) -> dict:
        d = dict(self.cleaned_data)
        d["replay_id"] = d.pop("replay", None)
        if editing:
            d.pop("kind", None)
            if d.get("position") is None:
                d.pop("position", None)
        return d

    @staticmethod
    def initial_for(s) -> dict:
        return {
            "kind": s.kind,
            "title": s.title,
            "lecturer": s.lecturer,
            "position": s.position,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "place": s.place,
            "stream_url": s.stream_url,
            "hours": s.hours,
            "replay": s.replay_id,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=200, label="原因")


class RosterFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "全部"), *EnrolmentStatus.choices])
    q = forms.CharField(required=False, max_length=60)


class ListUploadForm(forms.Form):
    file = forms.FileField(label="名单文件（.xlsx）")
