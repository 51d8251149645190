"""Official documents: built-in templates render every kind with data and with missing optional
fields; uploads are checked; versions; one document per kind with its scope; bulk .zip."""

import datetime
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.development.models import Case, PublicNotice, Transfer
from cloudbranch.development.tests.factories import add_contact, make_case
from cloudbranch.fees import payments
from cloudbranch.fees.tests.payments_support import make_bill
from cloudbranch.meetings.choices import MeetingStatus
from cloudbranch.meetings.tests.factories import make_meeting
from cloudbranch.paperwork import builders, catalogue, contexts, services
from cloudbranch.paperwork.choices import BatchStatus, DocumentKind
from cloudbranch.paperwork.models import DocumentBatch, DocumentTemplate
from cloudbranch.testing.factories import PersonFactory

YEAR = 2026


@pytest.fixture
def world(shared_world):
    return shared_world


def text_of(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def docx_with(*paragraphs: str) -> bytes:
    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def outgoing_letter(w, person=None, *, number="CB-2026-000009", issued=True):
    person = person or w.people["a1_other"]
    return Transfer.objects.create(
        kind="outgoing",
        status="letter_issued" if issued else "pending_out",
        person=person,
        person_name=person.name,
        from_unit=person.unit,
        external_org="中共某市某区街道工委",
        reason="毕业离校",
        letter_number=number,
        letter_issued_on=datetime.date(YEAR, 6, 20) if issued else None,
        requested_by=w.users["secretary1"],
    )


def receipt_entry(w, person=None):
    person = person or w.people["a1_other"]
    bill = make_bill(person, datetime.date(YEAR, 9, 1))
    return payments.offline_payment(
        actor=w.users["admin"], bill_ids=[bill.pk], method="cash", receipt_no="R0001", paid_on=datetime.date(YEAR, 9, 5)
    )[0]


def notice_of(case, w):
    return PublicNotice.objects.create(
        case=case,
        kind="candidate",
        starts_on=datetime.date(YEAR, 11, 2),
        ends_on=datetime.date(YEAR, 11, 6),
        workdays=5,
        text="关于公示\n经支部委员会审查……",
        created_by=w.users["admin"],
    )


# --- catalogue and defaults ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DocumentKind.values)
def test_default_template_passes_its_own_check_and_renders_the_examples(kind):
    data = builders.default_template(kind)
    services.template_check(kind, data)
    out = text_of(services.render_docx(data, catalogue.example_context(kind), strict=True))
    assert "{{" not in out and "{%" not in out and "None" not in out


def test_amount_in_capitals():
    assert contexts.amount_cn("0.20") == "贰角整"
    assert contexts.amount_cn("1.05") == "壹元零伍分"
    assert contexts.amount_cn("1234.50") == "壹仟贰佰叁拾肆元伍角整"
    assert contexts.amount_cn("10001") == "壹万零壹元整"
    assert contexts.amount_cn("0") == "零元整"


# --- each kind with data and with missing optional data ----------------------------------------


def _generate(user, kind, pk, **options):
    return services.document_generate(actor=user, kind=kind, object_id=pk, options=options)


def _check_context(kind, ctx):
    assert catalogue.field_names(ctx) == catalogue.catalogue_names(kind)


def test_filing_form_full_and_bare(world):
    admin = world.users["admin"]
    full = make_case(actor=admin, unit=world.branch_a1, upto="candidate")
    add_contact(full, "sponsor")
    bare = make_case(actor=admin, person=PersonFactory(unit=world.branch_a1, ethnicity="", education="", college=""))
    _check_context(DocumentKind.FILING_FORM, contexts.filing_form_context(admin, full, {}))
    generated = _generate(admin, DocumentKind.FILING_FORM, full.pk)
    out = text_of(generated.content)
    assert full.person.name in out and "确定入党积极分子" in out and "None" not in out
    assert generated.filename.startswith("发展党员备案表-") and generated.filename.endswith(".docx")
    out = text_of(_generate(admin, DocumentKind.FILING_FORM, bare.pk).content)
    assert "None" not in out and "—" in out
    assert AuditEvent.objects.filter(action="paperwork.document.generate").count() == 2


def test_public_notice_transfer_ledger_receipt_render(world):
    admin, sec = world.users["admin"], world.users["secretary1"]
    case = make_case(actor=admin, unit=world.branch_a1, upto="candidate")
    notice = notice_of(case, world)
    out = text_of(_generate(sec, DocumentKind.PUBLIC_NOTICE, notice.pk).content)
    assert f"关于{case.person.name}同志拟发展为中共预备党员的公示" in out and "None" not in out
    _check_context(DocumentKind.PUBLIC_NOTICE, contexts.public_notice_context(sec, notice, {}))

    transfer = outgoing_letter(world)
    ctx = contexts.transfer_letter_context(sec, transfer, {})
    _check_context(DocumentKind.TRANSFER_LETTER, ctx)
    out = text_of(_generate(sec, DocumentKind.TRANSFER_LETTER, transfer.pk).content)
    assert "CB-2026-000009" in out and "None" not in out and "党费已交到—" in out  # dues_paid_until missing

    make_meeting(
        unit=world.branch_a1,
        created_by=sec,
        status=MeetingStatus.HELD,
        title="学习全会精神",
        starts_at=datetime.datetime(YEAR, 3, 5, 9, tzinfo=datetime.UTC),
    )
    ctx = contexts.ledger_cover_context(sec, contexts.access_ledger(sec, world.branch_a1.pk, {"year": YEAR}), {})
    _check_context(DocumentKind.LEDGER_COVER, ctx)
    out = text_of(_generate(sec, DocumentKind.LEDGER_COVER, world.branch_a1.pk, year=YEAR).content)
    assert "学习全会精神" in out and f"{YEAR} 年度组织生活台账" in out and "None" not in out
    empty = text_of(_generate(sec, DocumentKind.LEDGER_COVER, world.branch_a1.pk, year=2001).content)
    assert "None" not in empty

    entry = receipt_entry(world)
    _check_context(DocumentKind.DUES_RECEIPT, contexts.dues_receipt_context(sec, entry, {}))
    out = text_of(_generate(sec, DocumentKind.DUES_RECEIPT, entry.pk).content)
    assert contexts.amount_cn(entry.amount) in out and "R0001" in out and "None" not in out


def test_pages_download_with_chinese_filename_and_sibling_gets_404(world, client):
    admin = world.users["admin"]
    case = make_case(actor=admin, unit=world.branch_a1, upto="activist")
    notice = notice_of(case, world)
    transfer = outgoing_letter(world)
    entry = receipt_entry(world)
    urls = [
        reverse("paperwork:filing_form", args=[case.pk]),
        reverse("paperwork:public_notice", args=[notice.pk]),
        reverse("paperwork:transfer_letter", args=[transfer.pk]),
        reverse("paperwork:ledger_cover", args=[world.branch_a1.pk, YEAR]),
        reverse("paperwork:dues_receipt", args=[entry.pk]),
    ]
    client.force_login(world.users["secretary1"])
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r["Content-Disposition"].startswith("attachment; filename*=utf-8''"), url
        assert r["Content-Type"] == services.DOCX_TYPE
    client.force_login(world.users["secretary2"])
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_letter_not_issued_is_409_and_pdf_without_libreoffice_is_422(world, client, monkeypatch):
    transfer = outgoing_letter(world, issued=False, number="CB-2026-000010")
    client.force_login(world.users["secretary1"])
    assert client.get(reverse("paperwork:transfer_letter", args=[transfer.pk])).status_code == 409
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    case = make_case(actor=world.users["admin"], unit=world.branch_a1)
    r = client.get(reverse("paperwork:filing_form", args=[case.pk]) + "?format=pdf")
    assert r.status_code == 422 and "LibreOffice" in r.content.decode()


@pytest.mark.skipif(not services.pdf_available(), reason="LibreOffice (soffice) is not installed")
def test_pdf_when_libreoffice_is_installed(world):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1)
    generated = services.document_generate(
        actor=world.users["admin"], kind=DocumentKind.FILING_FORM, object_id=case.pk, fmt="pdf"
    )
    assert generated.content.startswith(b"%PDF-")


# --- uploads --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip at all", "不是 Word"),
        (None, "缺少 word/document.xml"),
        (docx_with("标题", "{{ person.name }", "结尾"), "模板第 2 行附近语法错误"),
        (docx_with("{{ person.name }}", "{{ salary }}、{{ boss.name }}"), "未定义的字段：boss、salary"),
        (docx_with("{{ person.shoe_size }}"), "试生成失败"),
    ],
)
def test_malformed_upload_is_refused_and_nothing_saved(world, data, message):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
        data = buffer.getvalue()
    with pytest.raises(DomainError) as exc:
        services.template_upload(
            actor=world.users["admin"], kind=DocumentKind.FILING_FORM, file_name="备案表.docx", data=data
        )
    assert message in exc.value.message
    assert not DocumentTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="paperwork.template.upload").exists()


def test_upload_page_refusal_is_422(world, client):
    client.force_login(world.users["admin"])
    upload = io.BytesIO(b"junk")
    upload.name = "t.docx"
    r = client.post(reverse("paperwork:template_upload"), {"kind": "filing_form", "file": upload})
    assert r.status_code == 422 and "不是 Word" in r.content.decode()
    client.force_login(world.users["secretary1"])
    assert client.post(reverse("paperwork:template_upload"), {}).status_code == 403


def test_versions_and_activation(world):
    admin = world.users["admin"]
    kind = DocumentKind.DUES_RECEIPT
    v1 = services.template_upload(
        actor=admin, kind=kind, file_name="收据1.docx", data=docx_with("收据 {{ person.name }} {{ payment.amount_cn }}")
    )
    v2 = services.template_upload(
        actor=admin, kind=kind, file_name="收据2.docx", data=docx_with("新版 {{ person.name }}")
    )
    v1.refresh_from_db()
    assert (v1.version, v2.version) == (1, 2) and not v1.is_active and v2.is_active
    entry = receipt_entry(world)
    assert text_of(_generate(admin, kind, entry.pk).content).startswith("新版 ")
    services.template_activate(actor=admin, template_id=v1.pk)
    assert list(DocumentTemplate.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
    assert "贰角整" in text_of(_generate(admin, kind, entry.pk).content) or "收据" in text_of(
        _generate(admin, kind, entry.pk).content
    )
    assert AuditEvent.objects.filter(action="paperwork.template.activate").count() == 1
    v3 = services.template_upload(
        actor=admin, kind=kind, file_name="收据3.docx", data=docx_with("{{ person.name }}"), activate=False
    )
    assert not v3.is_active and DocumentTemplate.objects.get(is_active=True, kind=kind).pk == v1.pk


def test_template_list_queries_are_constant(world, client):
    admin = world.users["admin"]
    client.force_login(admin)
    client.get(reverse("paperwork:index"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("paperwork:index")).status_code == 200
    for kind in (DocumentKind.FILING_FORM, DocumentKind.DUES_RECEIPT):
        for _ in range(2):
            services.template_upload(actor=admin, kind=kind, file_name="t.docx", data=docx_with("{{ today }}"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("paperwork:index")).status_code == 200
    assert len(many) == len(few)


# --- batches --------------------------------------------------------------------------------------


def test_batch_zip_progress_scope_and_audit(world, client, django_capture_on_commit_callbacks):
    admin, sec = world.users["admin"], world.users["secretary1"]
    cases = [make_case(actor=admin, unit=world.branch_a1) for _ in range(3)]
    make_case(actor=admin, unit=world.branch_a2)  # outside secretary1's scope
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(actor=sec, kind=DocumentKind.FILING_FORM, unit_id=world.branch_a1.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUCCEEDED and (batch.total, batch.done) == (3, 3)
    assert sorted(batch.object_ids) == sorted(c.pk for c in cases)
    client.force_login(sec)
    assert client.get(reverse("paperwork:batch_detail", args=[batch.pk])).status_code == 200
    r = client.get(reverse("paperwork:batch_download", args=[batch.pk]))
    assert r.status_code == 200 and r["Content-Type"] == services.ZIP_TYPE
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert len(names) == 3 == len(set(names)) and all(n.endswith(".docx") for n in names)
    assert names[0].startswith("001-发展党员备案表-")
    for action in ("paperwork.batch.create", "paperwork.batch.generate", "paperwork.batch.download"):
        assert AuditEvent.objects.filter(action=action).count() == 1
    client.force_login(world.users["secretary2"])
    for name in ("paperwork:batch_detail", "paperwork:batch_progress", "paperwork:batch_download"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    with pytest.raises(Exception) as exc:  # a sibling's unit is not found either
        services.batch_create(
            actor=world.users["secretary2"], kind=DocumentKind.FILING_FORM, unit_id=world.branch_a1.pk
        )
    assert exc.type.__name__ == "Http404"


def test_batch_queries_per_object_are_constant(world):
    admin = world.users["admin"]
    for _ in range(3):
        make_case(actor=admin, unit=world.branch_b1, upto="activist")
    counts = []
    for n in (1, 1, 2, 3):  # the first run warms the per-process caches (content types)
        ids = list(Case.objects.filter(person__unit=world.branch_b1).values_list("pk", flat=True))[:n]
        batch = DocumentBatch.objects.create(
            kind=DocumentKind.FILING_FORM,
            unit=world.branch_b1,
            object_ids=ids,
            total=n,
            created_by=admin,
            expires_at=datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC),
        )
        with CaptureQueriesContext(connection) as q:
            services.batch_run(batch.pk)
        counts.append(len(q))
    assert counts[3] - counts[2] == counts[2] - counts[1], counts


def test_batch_empty_selection_and_ledgers_of_a_college(world, client, django_capture_on_commit_callbacks):
    admin = world.users["admin"]
    with pytest.raises(DomainError):
        services.batch_create(actor=admin, kind=DocumentKind.DUES_RECEIPT, unit_id=world.branch_b1.pk)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(
            actor=admin, kind=DocumentKind.LEDGER_COVER, unit_id=world.college_a.pk, filters={"year": YEAR}
        )
    batch.refresh_from_db()
    names = zipfile.ZipFile(io.BytesIO(bytes(batch.result))).namelist()
    assert len(names) == 2 and all(f"-{YEAR}年.docx" in n for n in names)
    client.force_login(admin)
    r = client.post(reverse("paperwork:batch_create"), {"kind": "dues_receipt", "unit": world.branch_b1.pk})
    assert r.status_code == 422 and "没有可生成的对象" in r.content.decode()


def test_pages_and_api(world, client):
    client.force_login(world.users["admin"])
    for name in ("paperwork:index", "paperwork:fields", "paperwork:batch_create"):
        assert client.get(reverse(name)).status_code == 200
    r = client.get(reverse("paperwork:default_download", args=["ledger_cover"]))
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert client.get("/api/documents/fields/dues_receipt").json()[2]["name"] == "payment.amount_cn"
    assert client.get("/api/documents/templates").json()["count"] == 0
    case = make_case(actor=world.users["admin"], unit=world.branch_a1)
    assert client.get(f"/api/documents/generate/filing_form/{case.pk}").status_code == 200
    client.force_login(world.users["secretary2"])
    assert client.get(f"/api/documents/generate/filing_form/{case.pk}").status_code == 404
    client.force_login(world.users["member1"])
    assert client.get(reverse("paperwork:index")).status_code == 403
    assert client.get("/api/documents/templates").status_code == 403


def test_download_links_on_the_source_pages(world, client):
    admin = world.users["admin"]
    case = make_case(actor=admin, unit=world.branch_a1)
    transfer = outgoing_letter(world)
    entry = receipt_entry(world)
    client.force_login(world.users["secretary1"])
    pages = {
        reverse("development:dossier", args=[case.pk]): reverse("paperwork:filing_form", args=[case.pk]),
        reverse("development:transfer_detail", args=[transfer.pk]): reverse(
            "paperwork:transfer_letter", args=[transfer.pk]
        ),
        reverse("meetings:ledger") + f"?unit={world.branch_a1.pk}&year={YEAR}": reverse(
            "paperwork:ledger_cover", args=[world.branch_a1.pk, YEAR]
        ),
        reverse("fees:receipt", args=[entry.pk]): reverse("paperwork:dues_receipt", args=[entry.pk]),
    }
    for page, link in pages.items():
        r = client.get(page)
        assert r.status_code == 200 and link in r.content.decode(), page
