from django import forms

from cloudbranch.people.choices import Category, PoliticalStatus

_TEXT = {"class": "form-control form-control-lg"}


class ActivationForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=64, widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "name"}))
    id_number = forms.CharField(
        label="身份证号", max_length=32, widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "off"})
    )
    staff_number = forms.CharField(
        label="学号/工号", max_length=32, widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "username"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={**_TEXT, "inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )


class PasswordForm(forms.Form):
    password1 = forms.CharField(
        label="设置密码", widget=forms.PasswordInput(attrs={**_TEXT, "autocomplete": "new-password"}), strip=False
    )
    password2 = forms.CharField(
        label="再次输入密码", widget=forms.PasswordInput(attrs={**_TEXT, "autocomplete": "new-password"}), strip=False
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return data


class ResetRequestForm(forms.Form):
    staff_number = forms.CharField(
        label="学号/工号", max_length=32, widget=forms.TextInput(attrs={**_TEXT, "autocomplete": "username"})
    )
    name = forms.CharField(label="姓名", max_length=64, widget=forms.TextInput(attrs=_TEXT))


class ResetConfirmForm(CodeForm, PasswordForm):
    pass


class RosterFilterForm(forms.Form):
    unit = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    political_status = forms.ChoiceField(
        label="政治面貌",
        required=False,
        choices=[("", "全部政治面貌"), *PoliticalStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    category = forms.ChoiceField(
        label="人员类别",
        required=False,
        choices=[("", "全部类别"), *Category.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    activated = forms.ChoiceField(
        label="开通情况",
        required=False,
        choices=[("", "全部"), ("no", "未开通"), ("yes", "已开通")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
