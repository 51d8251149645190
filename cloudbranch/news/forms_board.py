"""Forms of the message board. The visitor form carries the captcha (checked in ``clean``)."""

from __future__ import annotations

from django import forms

from . import board, captcha
from .choices import MessageCategory


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("class", "form-control")


class MessageForm(forms.Form):
    """A logged-in person's message. ``unit`` is the id picked through the unit search."""

    unit = forms.IntegerField(
        label="留言对象", widget=forms.HiddenInput, error_messages={"required": "请选择留言对象。"}
    )
    category = forms.ChoiceField(label="类别", choices=MessageCategory.choices)
    title = forms.CharField(label="标题", max_length=board.TITLE_MAX)
    body = forms.CharField(
        label="留言内容",
        max_length=board.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": board.BODY_MAX}),
        help_text=f"纯文本，最多 {board.BODY_MAX} 字。",
    )
    anonymous = forms.BooleanField(
        label="匿名留言", required=False, help_text="组织的书记、委员看不到你的姓名；平台审计管理员可追查滥用。"
    )
    public = forms.BooleanField(
        label="公开显示", required=False, initial=True, help_text="不公开时，只有该组织的书记、委员和你本人可以看到。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class VisitorMessageForm(forms.Form):
    """A visitor's message (no login): name and contact are optional; the captcha is required."""

    category = forms.ChoiceField(label="类别", choices=MessageCategory.choices)
    title = forms.CharField(label="标题", max_length=board.TITLE_MAX)
    body = forms.CharField(
        label="留言内容",
        max_length=board.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": board.BODY_MAX}),
        help_text=f"纯文本，最多 {board.BODY_MAX} 字。",
    )
    visitor_name = forms.CharField(label="称呼（选填）", max_length=board.VISITOR_NAME_MAX, required=False)
    visitor_contact = forms.CharField(
        label="联系方式（选填，仅组织可见）", max_length=board.VISITOR_CONTACT_MAX, required=False
    )
    public = forms.BooleanField(label="公开显示", required=False, initial=True)
    captcha = forms.CharField(
        label="验证码（计算结果）",
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        _style(self)

    def clean_captcha(self):
        value = self.cleaned_data.get("captcha", "")
        if self.request is None or not captcha.check(self.request, value):
            raise forms.ValidationError("验证码错误或已过期，请看新图片重新计算。")
        return value


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="回复", max_length=board.BODY_MAX, widget=forms.Textarea(attrs={"rows": 4, "maxlength": board.BODY_MAX})
    )
    public = forms.BooleanField(label="公开回复", required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class CloseForm(forms.Form):
    note = forms.CharField(
        label="关闭说明",
        max_length=board.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": board.NOTE_MAX}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
