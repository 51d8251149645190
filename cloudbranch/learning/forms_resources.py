"""Forms of the resources area: they only shape input; the rules are in ``resources``."""

from __future__ import annotations

from django import forms

from .choices import Area, Audience, Column, ResourceKind


def _style(form: forms.Form) -> None:
    for f in form.fields.values():
        if isinstance(f.widget, forms.Select):
            f.widget.attrs.setdefault("class", "form-select")
        elif isinstance(f.widget, forms.CheckboxInput):
            f.widget.attrs.setdefault("class", "form-check-input")
        else:
            f.widget.attrs.setdefault("class", "form-control")


class ResourceForm(forms.Form):
    unit_id = forms.TypedChoiceField(label="发布组织", coerce=int)
    kind = forms.ChoiceField(label="类型", choices=ResourceKind.choices)
    title = forms.CharField(label="标题", max_length=200)
    summary = forms.CharField(label="摘要", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    body = forms.CharField(
        label="正文（图文）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="支持段落、小标题、加粗、列表、引用、链接、图片和表格（HTML），保存时自动清理不安全的内容。",
    )
    file = forms.FileField(
        label="文件（视频、音频、PDF）",
        required=False,
        help_text="视频：MP4、WebM；音频：MP3、M4A、OGG；文档：PDF。",
    )
    external_url = forms.URLField(label="外部链接", required=False, max_length=500, assume_scheme="https")
    duration_seconds = forms.IntegerField(label="时长（秒，音视频）", min_value=0, required=False, initial=0)
    column = forms.ChoiceField(label="栏目", choices=Column.choices)
    area = forms.ChoiceField(label="建设领域", choices=[("", "（不限）"), *Area.choices], required=False)
    knowledge_points = forms.CharField(
        label="知识点", required=False, help_text="用逗号或顿号分隔，没有的知识点会自动创建，如：党章、两个确立"
    )
    audience = forms.ChoiceField(label="可见范围", choices=Audience.choices, initial=Audience.SUBTREE)
    author = forms.CharField(label="作者或来源", max_length=100, required=False)
    min_seconds = forms.IntegerField(label="完成所需阅读时长（秒）", min_value=0, initial=60)
    min_percent = forms.IntegerField(label="完成所需观看比例（%）", min_value=1, max_value=100, initial=90)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_id"].choices = [(u.pk, u.name) for u in units]
        _style(self)

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            k: data.get(k)
            for k in (
                "kind",
                "title",
                "summary",
                "body",
                "external_url",
                "duration_seconds",
                "column",
                "area",
                "audience",
                "author",
                "min_seconds",
                "min_percent",
            )
        }


class TopicForm(forms.Form):
    unit_id = forms.TypedChoiceField(label="发布组织", coerce=int)
    title = forms.CharField(label="专题名称", max_length=200)
    description = forms.CharField(label="简介", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    audience = forms.ChoiceField(label="可见范围", choices=Audience.choices, initial=Audience.SUBTREE)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit_id"].choices = [(u.pk, u.name) for u in units]
        _style(self)
