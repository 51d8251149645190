"""Documents of a case: upload validation (nothing written on refusal) and generated texts."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.development import documents, notices
from cloudbranch.development.choices import ContactRole, DocumentKind
from cloudbranch.development.models import CaseDocument, StepRecord
from cloudbranch.development.tests.factories import add_contact, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def case(world):
    return make_case(actor=world.users["admin"], unit=world.branch_a1, upto="admission_vote")


def upload(world, case, name, data, *, user="secretary1", kind=DocumentKind.APPLICATION, **kw):
    return documents.document_upload(
        actor=world.users[user],
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile(name, data),
        kind=kind,
        **kw,
    )


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("申请书.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("申请书.txt", b"hello", "不支持的文件类型"),
        ("申请书.pdf", b"<html>not a pdf</html>", "内容与扩展名 .pdf 不符"),
        ("scan.jpg", b"%PDF-1.7 a pdf in disguise", "内容与扩展名 .jpg 不符"),
        ("scan.png", _jpeg_with_exif(), "内容与扩展名 .png 不符"),
        ("form.docx", b"PK\x03\x04garbage", "内容与扩展名 .docx 不符"),
        ("empty.pdf", b"", "空文件"),
    ],
)
def test_bad_upload_is_refused_and_nothing_written(world, case, _media, name, data, fragment):
    audits = AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        upload(world, case, name, data)
    assert fragment in exc.value.message
    assert exc.value.errors[0]["field"] == "file"
    assert CaseDocument.objects.count() == 0
    assert AuditEvent.objects.count() == audits
    assert _stored_files(_media) == []


def test_too_large_upload_is_refused(world, case, _media):
    data = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)
    with pytest.raises(DomainError, match="超过 20 MB"):
        upload(world, case, "big.pdf", data)
    assert CaseDocument.objects.count() == 0
    assert _stored_files(_media) == []


def test_exactly_20_mb_is_accepted(world, case):
    data = b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024 - 9)
    document = upload(world, case, "big.pdf", data)
    assert document.size == 20 * 1024 * 1024


def test_upload_pdf_docx_and_image(world, case, _media):
    record = StepRecord.objects.get(case=case, step__code="admission_vote")
    pdf = upload(world, case, "支部大会记录.pdf", b"%PDF-1.7\n...", kind=DocumentKind.VOTE_RECORD, record_id=record.pk)
    assert pdf.record == record
    assert pdf.content_type == "application/pdf"
    assert pdf.original_name == "支部大会记录.pdf"
    assert pdf.title.startswith("支部大会记录及表决结果")
    assert AuditEvent.objects.filter(action="development.document.upload", target_id=str(pdf.pk)).exists()
    docx = upload(world, case, "志愿书.docx", _docx(), kind=DocumentKind.ADMISSION_FORM, title="入党志愿书扫描")
    assert docx.title == "入党志愿书扫描"
    photo = upload(world, case, "photo.JPG", _jpeg_with_exif())
    with photo.file.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert stored.format == "JPEG"
        assert 0x010F not in stored.getexif()  # metadata dropped
    assert len(_stored_files(_media)) == 3


def test_upload_refuses_record_of_another_case(world, case):
    other = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="talk")
    foreign = StepRecord.objects.filter(case=other).first()
    with pytest.raises(DomainError, match="不属于本发展对象"):
        upload(world, case, "a.pdf", b"%PDF-1.7", record_id=foreign.pk)
    assert CaseDocument.objects.count() == 0


def test_upload_permissions(world, case):
    with pytest.raises(Http404):
        upload(world, case, "a.pdf", b"%PDF-1.7", user="secretary2")
    with pytest.raises(Http404):
        upload(world, case, "a.pdf", b"%PDF-1.7", user="member1")


def test_own_application_letter_is_readable_by_the_person(world):
    case = make_case(actor=world.users["admin"], person=world.people["member1"], upto="talk")
    letter = upload(world, case, "申请书.pdf", b"%PDF-1.7")
    talk = upload(world, case, "谈话.pdf", b"%PDF-1.7", kind=DocumentKind.TALK_RECORD)
    member = world.users["member1"]
    assert documents.access_document(member, letter.pk) == letter
    with pytest.raises(Http404):
        documents.access_document(member, talk.pk)
    assert list(documents.own_documents(member)) == [letter]


# --- generated documents ------------------------------------------------------------------


def generate(world, case, template, **kw):
    return documents.document_generate(actor=world.users["secretary1"], case_id=case.pk, template=template, **kw)


def test_vote_record_has_the_counts(world, case):
    StepRecord.objects.filter(case=case, step__code="admission_vote").update(
        data={"entitled": 13, "present": 11, "written": 1, "in_favour": 10, "against": 1, "abstain": 1}
    )
    add_contact(case, ContactRole.INTRODUCER)
    doc = generate(world, case, "admission_vote")
    assert doc.generated and doc.kind == DocumentKind.VOTE_RECORD
    assert doc.record.step.code == "admission_vote"
    body = doc.body
    assert "应到会有表决权的正式党员 13 名，实到会 11 名" in body
    assert "书面意见的 1 名" in body
    assert "赞成 10 票，反对 1 票，弃权 1 票" in body
    assert f"同意接收{case.person.name}同志为中共预备党员" in body
    assert world.branch_a1.name in body
    assert AuditEvent.objects.filter(action="development.document.generate", target_id=str(doc.pk)).exists()


def test_vote_record_that_failed_says_so(world, case):
    # 6 of 13 in favour: not more than half of those entitled, although more than half of those present.
    StepRecord.objects.filter(case=case, step__code="admission_vote").update(
        data={"entitled": 13, "present": 8, "written": 0, "in_favour": 6, "against": 2, "abstain": 0}
    )
    body = generate(world, case, "admission_vote").body
    assert "表决未通过" in body and "赞成票（6）" in body
    assert "同意接收" not in body


def test_training_certificate_has_days_and_hours(world, case):
    StepRecord.objects.filter(case=case, step__code="training").update(data={"days": 4, "hours": 32})
    body = generate(world, case, "training").body
    assert "培训时间 4 天，共 32 学时" in body
    assert "准予结业" in body
    assert world.college_a.name in body


def test_every_template_renders(world):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="archive")
    add_contact(case, ContactRole.SPONSOR)
    add_contact(case, ContactRole.INTRODUCER)
    for template in documents.GENERATORS:
        if template == "public_notice":
            continue
        doc = generate(world, case, template)
        assert case.person.name in doc.body, template
        assert "{{" not in doc.body and "{%" not in doc.body
    approval = CaseDocument.objects.filter(title__contains="党委审批意见（接收").get()
    # admitted at +540 days (2023-08-23), probation of 12 months.
    assert "自2023年8月23日（支部大会通过之日）起至2024年8月23日止" in approval.body
    confirmation = CaseDocument.objects.get(title__contains="转正审批意见")
    assert "按期转为中共正式党员，党龄自2024年8月23日" in confirmation.body
    political = CaseDocument.objects.get(kind=DocumentKind.POLITICAL_REVIEW)
    assert "审查结论：合格" in political.body
    assessments = CaseDocument.objects.filter(kind=DocumentKind.ASSESSMENT)
    assert assessments.get().title.endswith("（第2次）")  # the latest probation assessment by default


def test_assessment_of_a_chosen_record(world, case):
    first = StepRecord.objects.get(case=case, step__code="activist_assessment", sequence=1)
    doc = generate(world, case, "assessment", record_id=first.pk)
    assert doc.record == first
    assert "入党积极分子培养考察登记（第1次）" in doc.body
    talk = StepRecord.objects.get(case=case, step__code="talk")
    with pytest.raises(DomainError, match="不是“培养考察登记”对应的步骤"):
        generate(world, case, "assessment", record_id=talk.pk)


def test_generate_needs_the_record(world):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="candidate")
    with pytest.raises(DomainError, match="尚未记录“开展集中培训”"):
        generate(world, case, "training")
    with pytest.raises(DomainError, match="尚未发布公示"):
        generate(world, case, "public_notice")
    with pytest.raises(DomainError, match="请选择要生成的材料"):
        generate(world, case, "nonsense")
    assert CaseDocument.objects.count() == 0


def test_generated_public_notice(world):
    import datetime

    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="branch_review")
    notices.notice_create(
        actor=world.users["secretary1"], case_id=case.pk, kind="candidate", starts_on=datetime.date(2026, 9, 28)
    )
    body = generate(world, case, "public_notice").body
    assert "公示期：2026年9月28日至2026年10月9日（5 个工作日）" in body
    assert "未收到反映意见" in body


def test_generate_needs_record_step(world, case):
    with pytest.raises(Http404):
        documents.document_generate(actor=world.users["secretary2"], case_id=case.pk, template="talk")
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import UserFactory, grant

    reader = UserFactory()
    grant(reader, world.branch_a1, Role.MEMBER)
    with pytest.raises(Http404):
        documents.document_generate(actor=reader, case_id=case.pk, template="talk")
