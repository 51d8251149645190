"""``manage.py check_dues_ledger``: verify the dues ledger invariants (fees.ledger.check_ledger);
exits non-zero and prints each violation when one is found."""

from django.core.management.base import BaseCommand, CommandError

from cloudbranch.fees.ledger import check_ledger


class Command(BaseCommand):
    help = "Verify that bills and orders agree with the append-only dues ledger."

    def handle(self, *args, **options):
        problems = check_ledger()
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} ledger violation(s)")
        self.stdout.write(self.style.SUCCESS("dues ledger OK"))
