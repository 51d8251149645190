from django.db import models


class Item(models.Model):
    """Twelve fields, like a roster row: what a 20-row list page or API page shows."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=50)
    unit = models.CharField(max_length=80)
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=20, db_index=True)
    phone = models.CharField(max_length=20)
    email = models.CharField(max_length=80)
    score = models.IntegerField()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    joined = models.DateField()
    updated = models.DateTimeField()
    note = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
