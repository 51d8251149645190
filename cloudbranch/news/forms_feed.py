"""The post form of the feed. It only collects the input: every rule (who posts where, the
number, size and type of photos and videos, the meeting link) is checked by ``feed.post_create``."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .feed import BODY_MAX, MAX_PHOTOS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class PostForm(forms.Form):
    unit = forms.TypedChoiceField(label="发布到", coerce=int)
    body = forms.CharField(
        label="内容",
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "分享支部活动的精彩瞬间……", "maxlength": BODY_MAX}),
    )
    photos = MultipleFileField(label=f"图片（最多 {MAX_PHOTOS} 张）", required=False)
    video = forms.FileField(
        label="或上传一段视频（MP4、WebM，不超过 200 MB）",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm"}),
    )
    meeting = forms.TypedChoiceField(label="关联活动（可选）", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, units=(), meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["meeting"].choices = [("", "不关联")] + [
            (m.pk, f"{timezone.localtime(m.starts_at):%m-%d} {m.title}（{m.unit.name}）") for m in meetings
        ]
        for name in ("unit", "meeting"):
            self.fields[name].widget.attrs["class"] = "form-select"
        self.fields["body"].widget.attrs["class"] = "form-control"
        for name in ("photos", "video"):
            self.fields[name].widget.attrs["class"] = "form-control"


class HideForm(forms.Form):
    reason = forms.CharField(
        label="隐藏原因", max_length=200, widget=forms.TextInput(attrs={"class": "form-control", "maxlength": 200})
    )
