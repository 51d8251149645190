"""Re-encrypt national ID numbers under the first key of FIELD_ENCRYPTION_KEYS.

Rotation procedure (see README): put a new key first in FIELD_ENCRYPTION_KEYS, keeping the old
ones after it; deploy; run this command; then drop the old keys. With ``--rehash`` the search
hashes are recomputed too, for a change of FIELD_HASH_KEY (set the new hash key, run with
--rehash before anyone searches by ID number).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cloudbranch.audit.services import audit_record
from cloudbranch.people import crypto
from cloudbranch.people.models import Person


class Command(BaseCommand):
    help = "用当前首个密钥重新加密身份证号（密钥轮换）"

    def add_arguments(self, parser):
        parser.add_argument("--rehash", action="store_true", help="同时按新的 FIELD_HASH_KEY 重算检索哈希")
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, rehash=False, batch=2000, **options):
        total = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                rows = list(
                    Person.objects.filter(pk__gt=last_pk).order_by("pk").only("pk", "id_number_encrypted")[:batch]
                )
                if not rows:
                    break
                for person in rows:
                    clear = crypto.decrypt(person.id_number_encrypted)
                    if not clear:
                        raise CommandError(f"人员 {person.pk} 的身份证号无法用现有密钥解密，已停止。")
                    person.id_number_encrypted = crypto.rotate(person.id_number_encrypted)
                    if rehash:
                        person.id_number_hash = crypto.search_hash(clear)
                fields = ["id_number_encrypted", "id_number_hash"] if rehash else ["id_number_encrypted"]
                Person.objects.bulk_update(rows, fields, batch_size=batch)
                last_pk = rows[-1].pk
                total += len(rows)
        audit_record(actor=None, action="people.keys.rotate", changes={"rows": total, "rehash": rehash})
        self.stdout.write(f"已重新加密 {total} 条身份证号。")
