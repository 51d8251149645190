from django import forms
from django.contrib.auth.forms import AuthenticationForm


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
        label="有效期（天）", min_value=1, max_value=365, initial=90,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
