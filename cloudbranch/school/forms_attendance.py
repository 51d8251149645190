"""Forms of the attendance area: the student's check-in code, the head teacher's manual record
and manual class-hour credit. The rules live in the services; these only shape the input."""

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="签到码",
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg text-center font-monospace fs-2",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "maxlength": "6",
                "autocomplete": "off",
                "placeholder": "000000",
                "style": "letter-spacing: .3em",
            }
        ),
    )


class ManualAttendanceForm(forms.Form):
    enrolment = forms.IntegerField(label="学员", widget=forms.HiddenInput)
    reason = forms.CharField(
        label="补记原因",
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": "如：手机没电，现场核实"}
        ),
    )


class ManualHoursForm(forms.Form):
    hours = forms.DecimalField(
        label="学时",
        max_digits=4,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5", "min": "0.5", "max": "99"}),
    )
    reason = forms.CharField(
        label="补记原因",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "如：因公缺席，已补课"}),
    )
