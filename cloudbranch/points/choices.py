from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    WEEK = "week", _("周")
    MONTH = "month", _("月")
    YEAR = "year", _("年")
