"""10,000 generated rows must import in well under a minute (issue 3, item 5): preview and
confirm together (confirm re-reads and re-checks the file, issue 12 item 2)."""

import time

import pytest

from cloudbranch.audit.models import AuditEvent
from cloudbranch.people import importing
from cloudbranch.people.models import ImportJob, Person, PersonEvent
from cloudbranch.people.tests.import_helpers import person_row, workbook_bytes

ROWS = 10_000


@pytest.mark.slow
@pytest.mark.django_db
def test_import_10000_rows(world, capsys):
    units = ["CA01", "CA02", "CB01", "CA01G1"]
    rows = [person_row(n, unit=units[n % 4], gender="男") for n in range(1, ROWS + 1)]
    # person_row derives IDs from n with 100 sequence numbers per birth date: make every ID unique
    seen = {r["身份证号"] for r in rows}
    assert len(seen) == ROWS
    data = workbook_bytes(rows, title="全校党员名册")
    job = ImportJob.objects.create(created_by=world.users["admin"], file_name="big.xlsx", file_data=data)
    people_before = Person.objects.count()

    started = time.perf_counter()
    job = importing.run_job(job.pk)
    previewed = time.perf_counter() - started
    assert job.status == "previewed", job.errors[:5]
    job = importing.import_confirm(actor=world.users["admin"], job_id=job.pk)
    seconds = time.perf_counter() - started

    with capsys.disabled():
        print(f"\nimport of {ROWS} rows: preview {previewed:.1f} s, preview + confirm {seconds:.1f} s")
    assert job.status == "succeeded", job.errors[:5]
    assert Person.objects.count() - people_before == ROWS
    assert PersonEvent.objects.filter(kind="imported").count() == ROWS
    assert AuditEvent.objects.filter(action="people.person.import").count() == ROWS
    assert seconds < 60
