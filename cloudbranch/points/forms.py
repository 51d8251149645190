from django import forms
from django.utils.translation import gettext_lazy as _

from .services import CAP_MAX


class RuleForm(forms.Form):
    points = forms.IntegerField(label=_("每次积分"), min_value=0, max_value=CAP_MAX)
    daily_cap = forms.IntegerField(label=_("每日上限"), min_value=0, max_value=CAP_MAX, help_text=_("0 表示不限"))
    yearly_cap = forms.IntegerField(label=_("每年上限"), min_value=0, max_value=CAP_MAX, help_text=_("0 表示不限"))
    active = forms.BooleanField(label=_("启用"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-check-input" if name == "active" else "form-control"
            if name != "active":
                field.widget.attrs["inputmode"] = "numeric"
