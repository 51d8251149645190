from cryptography.fernet import Fernet
from django.core.management import call_command

from cloudbranch.audit.models import AuditEvent
from cloudbranch.people import crypto
from cloudbranch.people.models import Person
from cloudbranch.testing.factories import PersonFactory, id_number_for


def test_id_number_is_not_stored_in_clear(world):
    number = id_number_for(7)
    person = PersonFactory(unit=world.branch_a1, id_number=number)
    row = Person.objects.filter(pk=person.pk).values("id_number_encrypted", "id_number_masked", "id_number_hash").get()
    assert number not in row["id_number_encrypted"]
    assert row["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert row["id_number_hash"] == crypto.search_hash(number) != number
    assert Person.objects.get(pk=person.pk).reveal_id_number() == number


def test_rotation_reencrypts_under_the_new_key(world, settings):
    number = id_number_for(8)
    person = PersonFactory(unit=world.branch_a1, id_number=number)
    old_token = Person.objects.get(pk=person.pk).id_number_encrypted
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]

    call_command("rotate_field_keys")

    token = Person.objects.get(pk=person.pk).id_number_encrypted
    assert token != old_token
    assert Fernet(new_key.encode()).decrypt(token.encode()).decode() == number
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert Person.objects.get(pk=person.pk).reveal_id_number() == number
    assert AuditEvent.objects.filter(action="people.keys.rotate").exists()


def test_rehash_follows_a_new_hash_key(world, settings):
    number = id_number_for(9)
    PersonFactory(unit=world.branch_a1, id_number=number)
    settings.FIELD_HASH_KEY = "another-hash-key"
    assert not Person.objects.with_id_number(number).exists()
    call_command("rotate_field_keys", "--rehash")
    assert Person.objects.with_id_number(number).count() == 1
