"""Forms of the articles area. They only shape the input; every rule is in ``articles`` (the
services raise DomainError, shown next to the fields by ``apply_domain_error``)."""

from __future__ import annotations

from django import forms

from .choices import Category, DisclosureType, Reviewer, Visibility


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ArticleForm(forms.Form):
    unit = forms.TypedChoiceField(label="发布组织", coerce=int, choices=())
    category = forms.ChoiceField(label="类别", choices=Category.choices)
    title = forms.CharField(label="标题", max_length=200)
    summary = forms.CharField(label="摘要", max_length=300, required=False)
    body = forms.CharField(
        label="正文",
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="支持段落、标题、加粗、列表、表格、链接和图片；保存时自动清理不安全的内容。",
    )
    disclosure_type = forms.ChoiceField(
        label="公开类型", choices=[("", "—")] + list(DisclosureType.choices), required=False
    )
    disclosure_from = forms.DateField(label="公开期自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    disclosure_to = forms.DateField(label="公开期至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    visibility = forms.ChoiceField(label="可见范围", choices=Visibility.choices, initial=Visibility.SUBTREE)
    publish_at = forms.DateTimeField(
        label="定时发布",
        required=False,
        help_text="留空则审核通过后立即发布。",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    requires_reading = forms.BooleanField(label="要求阅读（统计回执）", required=False)
    read_deadline = forms.DateField(label="阅读截止", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    cover = forms.FileField(label="封面图", required=False, help_text="JPG、PNG 或 WebP，自动缩放并去除拍摄信息。")
    remove_cover = forms.BooleanField(label="删除现有封面", required=False)
    attachments = MultipleFileField(
        label="附件", required=False, help_text="PDF、DOCX、XLSX、JPG、PNG，每个不超过 20 MB。"
    )

    def __init__(self, *args, units=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if editing:
            self.fields["unit"].required = False
            self.fields["unit"].disabled = True
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            k: d.get(k)
            for k in (
                "category",
                "title",
                "summary",
                "body",
                "disclosure_type",
                "disclosure_from",
                "disclosure_to",
                "visibility",
                "publish_at",
                "requires_reading",
                "read_deadline",
            )
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "通过"), ("reject", "退回")])
    comment = forms.CharField(label="意见", max_length=500, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因", max_length=500, required=False)


class PolicyForm(forms.Form):
    reviewer = forms.ChoiceField(
        label="文章审核人", choices=Reviewer.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    public_board = forms.BooleanField(
        label="留言板允许未登录访客留言",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    hold_comments = forms.BooleanField(
        label="评论先审后发", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
