"""Forms of the matching area: the volunteer profile (skills and free time)."""

from __future__ import annotations

from django import forms

from .choices import Skill, TimeSlot
from .profile import NOTE_MAX


class ProfileForm(forms.Form):
    """Checkbox grids: skills, and free time as weekday × 上午/下午/晚上 (rendered as a grid)."""

    skills = forms.MultipleChoiceField(
        label="特长", choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    free_slots = forms.MultipleChoiceField(
        label="空闲时间", choices=TimeSlot.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        label="补充说明",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": NOTE_MAX}),
        help_text=f"例如：持有红十字救护员证；周末可以全天服务。最多 {NOTE_MAX} 字。",
    )


class InviteForm(forms.Form):
    person_id = forms.IntegerField(min_value=1, max_value=2**31 - 1)
