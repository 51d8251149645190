"""Forms of the elections area (input shape only; the rules are in elections.py)."""

from django import forms

from .choices import ElectionKind, VoterExclusion
from .counting import DEFAULT_SURPLUS_RATIO


class ElectionForm(forms.Form):
    unit = forms.TypedChoiceField(label="选举单位", coerce=int)
    kind = forms.ChoiceField(label="选举类型", choices=ElectionKind.choices)
    title = forms.CharField(label="名称", max_length=120)
    seats = forms.IntegerField(label="应选名额", min_value=1, max_value=99)
    surplus_ratio = forms.DecimalField(
        label="差额比例", initial=DEFAULT_SURPLUS_RATIO, min_value=0, max_value=1, decimal_places=2, max_digits=4
    )
    equal_election = forms.BooleanField(label="等额选举（仅直接选举书记、副书记）", required=False)
    equal_reason = forms.CharField(label="等额选举依据", max_length=200, required=False)
    term_years = forms.IntegerField(label="任期（年）", min_value=1, max_value=10, required=False)
    election_date = forms.DateField(label="选举日期", widget=forms.DateInput(attrs={"type": "date"}))
    postponement_approval = forms.CharField(
        label="延期或提前换届批复",
        max_length=200,
        required=False,
        help_text="任期届满前后超过一年换届时必填（条例第三条）",
    )

    def __init__(self, *args, units=(), edit=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if edit:
            del self.fields["unit"]


class CandidateForm(forms.Form):
    person = forms.TypedChoiceField(label="候选人", coerce=int)
    introduction = forms.CharField(label="简介", max_length=300, required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "请选择")] + [(p.pk, f"{p.name}（{p.unit.name}）") for p in people]


class ExclusionForm(forms.Form):
    reason = forms.ChoiceField(
        label="原因", choices=[("", "恢复计入应到")] + list(VoterExclusion.choices), required=False
    )
    note = forms.CharField(label="批准情况", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)
