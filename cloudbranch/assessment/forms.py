"""Forms of quantified assessment: the set, an indicator (metric choices grouped by area; the
rule's parameters as plain fields), a manual score. Business rules live in ``services``."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone

from cloudbranch.core import metrics as catalogue_mod
from cloudbranch.orgs.choices import UnitKind

from .choices import PeriodKind, ScoringRule
from .services import TEMPLATES, metric_choices


def _bootstrap(form) -> None:
    for f in form.fields.values():
        w = f.widget
        if isinstance(w, forms.CheckboxSelectMultiple):
            w.attrs["class"] = "form-check-input"
        elif isinstance(w, forms.Select):
            w.attrs["class"] = "form-select"
        else:
            w.attrs["class"] = "form-control"


class SetForm(forms.Form):
    unit = forms.TypedChoiceField(label="考核单位", coerce=int)
    title = forms.CharField(label="名称", max_length=120)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    period_kind = forms.ChoiceField(label="周期", choices=PeriodKind.choices, initial=PeriodKind.YEAR)
    quarter = forms.TypedChoiceField(
        label="季度",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—")] + [(q, f"第{q}季度") for q in range(1, 5)],
    )
    unit_kinds = forms.MultipleChoiceField(
        label="被考核组织类型",
        choices=[(k, v) for k, v in UnitKind.choices if k != UnitKind.COMMITTEE],
        initial=[UnitKind.BRANCH],
        widget=forms.CheckboxSelectMultiple,
    )
    template = forms.ChoiceField(label="指标来源", choices=list(TEMPLATES.items()), initial="default")

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["year"].initial = timezone.localdate().year
        _bootstrap(self)


def metric_field_choices() -> list:
    """[(area label, [(key, label), ...]), ...] for a grouped select."""
    groups: dict[str, list] = {}
    for key, m in sorted(metric_choices().items()):
        suffix = f"（{m.unit}）" if m.unit else ""
        groups.setdefault(catalogue_mod.AREAS.get(m.area, m.area), []).append((key, f"{m.label}{suffix}"))
    return [("", "—（人工评分项不选）")] + list(groups.items())


BAND_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[:：]\s*(\d+(?:\.\d+)?)\s*$")


def parse_bands(text: str) -> list[dict] | None:
    """ "95:1, 90:0.8" → [{"min": "95", "share": "1"}, ...]; None when a part is unreadable."""
    out = []
    for part in re.split(r"[,，;；\n]+", text or ""):
        if not part.strip():
            continue
        m = BAND_RE.match(part)
        if not m:
            return None
        out.append({"min": m.group(1), "share": m.group(2)})
    return out


def bands_text(bands) -> str:
    return "，".join(f"{b['min']}:{b['share']}" for b in bands or [])


class IndicatorForm(forms.Form):
    name = forms.CharField(label="指标", max_length=120)
    metric_key = forms.ChoiceField(label="数据来源", required=False)
    rule = forms.ChoiceField(label="计分规则", choices=ScoringRule.choices)
    target = forms.CharField(label="达标值（线性）", required=False, max_length=20)
    floor = forms.CharField(label="下限（线性，默认 0）", required=False, max_length=20)
    bands = forms.CharField(
        label="分档（分档计分）",
        required=False,
        max_length=300,
        help_text="“下限:得分比例”，逗号分隔，如 95:1，90:0.8，80:0.6",
    )
    max_score = forms.DecimalField(label="分值", max_digits=6, decimal_places=2)
    description = forms.CharField(
        label="评分说明", required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric_key"].choices = metric_field_choices()
        _bootstrap(self)

    @classmethod
    def initial_for(cls, ind) -> dict:
        return {
            "name": ind.name,
            "metric_key": ind.metric_key,
            "rule": ind.rule,
            "target": ind.params.get("target", ""),
            "floor": ind.params.get("floor", ""),
            "bands": bands_text(ind.params.get("bands")),
            "max_score": ind.max_score,
            "description": ind.description,
        }

    def clean(self):
        data = super().clean()
        rule = data.get("rule")
        if rule == ScoringRule.THRESHOLDS:
            bands = parse_bands(data.get("bands", ""))
            if bands is None:
                self.add_error("bands", "格式应为“下限:得分比例”，逗号分隔")
            data["params"] = {"bands": bands or []}
        elif rule == ScoringRule.LINEAR:
            data["params"] = {"target": data.get("target", ""), "floor": data.get("floor", "")}
        else:
            data["params"] = {}
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {k: d.get(k) for k in ("name", "metric_key", "rule", "params", "max_score", "description")}


class ManualScoreForm(forms.Form):
    manual_score = forms.DecimalField(label="人工评分", required=False, max_digits=6, decimal_places=2, min_value=0)
    evidence = forms.CharField(label="评分依据", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class RankingFilterForm(forms.Form):
    kind = forms.ChoiceField(label="组织类型", required=False, choices=[("", "全部类型")] + list(UnitKind.choices))
