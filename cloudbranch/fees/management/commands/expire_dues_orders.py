"""``manage.py expire_dues_orders``: close online orders past their time that got no callback,
after asking the provider (fees.payments.order_expire_stale). Run it from cron every few minutes,
or queue ``fees.payments.expire_stale_orders``."""

from django.core.management.base import BaseCommand

from cloudbranch.fees.payments import order_expire_stale


class Command(BaseCommand):
    help = "Expire stale dues payment orders (asking each provider first)."

    def handle(self, *args, **options):
        counts = order_expire_stale()
        self.stdout.write(f"expired {counts['expired']}, paid on query {counts['paid']}, skipped {counts['skipped']}")
