from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_texts

from .choices import Duty
from .selectors import DUTY_FILTERS, STATUS_FILTERS


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码错误。连续多次错误后账号将被暂时锁定。",
        "inactive": "该账号已停用。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"


class TokenForm(forms.Form):
    name = forms.CharField(label="令牌名称", max_length=64, widget=forms.TextInput(attrs={"class": "form-control"}))
    days = forms.IntegerField(
        label="有效期（天）",
        min_value=1,
        max_value=365,
        initial=90,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


def _styled(form: forms.Form) -> forms.Form:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form


class UserFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "用户名或姓名"}))
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *STATUS_FILTERS.items()])
    duty = forms.ChoiceField(label="平台职责", required=False, choices=[("", "全部职责"), *DUTY_FILTERS.items()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class UserCreateForm(forms.Form):
    """Only shapes the input; the rules (unique name, password policy) live in services.user_create."""

    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=64, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)
    password = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="用户首次登录后须修改密码。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)
        self.fields["password"].help_text += " " + " ".join(password_validators_help_texts())


class UserEditForm(forms.Form):
    display_name = forms.CharField(label="姓名", max_length=64, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)
    is_active = forms.BooleanField(label="启用", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class ResetPasswordForm(forms.Form):
    password = forms.CharField(
        label="临时密码",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="留空则自动生成。用户下次登录须修改密码；其 API 令牌将一并撤销。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class DutyForm(forms.Form):
    duty = forms.ChoiceField(label="平台职责", required=False, choices=Duty.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=32,
        widget=forms.TextInput(
            attrs={"class": "form-control", "autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class LoginRecordFilterForm(forms.Form):
    username = forms.CharField(label="用户名", required=False, max_length=150)
    outcome = forms.ChoiceField(label="结果", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        from .models import LoginOutcome

        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", "全部结果"), *LoginOutcome.choices]
        _styled(self)


class OtpUserFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, widget=forms.TextInput(attrs={"placeholder": "用户名或姓名"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)
