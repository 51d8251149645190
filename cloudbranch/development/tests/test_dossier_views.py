"""Pages and API of the dossier area: permission matrix, dossier audit, query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.audit.models import AuditEvent
from cloudbranch.development import documents, notices
from cloudbranch.development.choices import ContactRole, DocumentKind, NoticeKind
from cloudbranch.development.models import CaseDocument, PublicNotice
from cloudbranch.development.tests.factories import add_contact, make_case
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

pytestmark = pytest.mark.django_db
D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(world):
    """A case at a1 after the branch review, with an uploaded and a generated document and a notice."""
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="branch_review")
    add_contact(case, ContactRole.SPONSOR)
    sec = world.users["secretary1"]
    uploaded = documents.document_upload(
        actor=sec,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("政审材料.pdf", b"%PDF-1.7 scan"),
        kind=DocumentKind.POLITICAL_REVIEW,
    )
    generated = documents.document_generate(actor=sec, case_id=case.pk, template="training")
    notice = notices.notice_create(actor=sec, case_id=case.pk, kind=NoticeKind.CANDIDATE)
    return case, uploaded, generated, notice


def _urls(case, uploaded, generated, notice):
    return {
        "dossier": reverse("development:dossier", args=[case.pk]),
        "documents": reverse("development:documents", args=[case.pk]),
        "download": reverse("development:document", args=[uploaded.pk]),
        "generated": reverse("development:document", args=[generated.pk]),
        "notice_create": reverse("development:notice_create", args=[case.pk]),
        "notice_detail": reverse("development:notice_detail", args=[notice.pk]),
        "api_documents": f"/api/development/cases/{case.pk}/documents",
        "api_document": f"/api/development/documents/{uploaded.pk}",
        "api_notices": f"/api/development/cases/{case.pk}/notices",
    }


# Expected GET status per user (secretary2 is the sibling branch's secretary).
MATRIX = {
    "secretary1": dict.fromkeys(
        (
            "dossier",
            "documents",
            "download",
            "generated",
            "notice_create",
            "notice_detail",
            "api_documents",
            "api_document",
            "api_notices",
        ),
        200,
    ),
    "admin": dict.fromkeys(
        (
            "dossier",
            "documents",
            "download",
            "generated",
            "notice_create",
            "notice_detail",
            "api_documents",
            "api_document",
            "api_notices",
        ),
        200,
    ),
    "secretary2": dict.fromkeys(
        (
            "dossier",
            "documents",
            "download",
            "generated",
            "notice_create",
            "notice_detail",
            "api_documents",
            "api_document",
            "api_notices",
        ),
        404,
    ),
    # A member of the branch reads the public notice, nothing else.
    "member1": {
        **dict.fromkeys(
            (
                "dossier",
                "documents",
                "download",
                "generated",
                "notice_create",
                "api_documents",
                "api_document",
                "api_notices",
            ),
            404,
        ),
        "notice_detail": 200,
    },
    "sysadmin": dict.fromkeys(
        (
            "dossier",
            "documents",
            "download",
            "generated",
            "notice_create",
            "notice_detail",
            "api_documents",
            "api_document",
            "api_notices",
        ),
        404,
    ),
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix(world, setup, login, who):
    urls = _urls(*setup)
    client = login(world.users[who])
    got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == MATRIX[who]


def test_sibling_secretary_cannot_write(world, setup, login):
    case, uploaded, generated, notice = setup
    client = login(world.users["secretary2"])
    before = (CaseDocument.objects.count(), PublicNotice.objects.count())
    pdf = SimpleUploadedFile("x.pdf", b"%PDF-1.7")
    assert (
        client.post(reverse("development:documents", args=[case.pk]), {"file": pdf, "kind": "other"}).status_code == 404
    )
    assert (
        client.post(reverse("development:document_generate", args=[case.pk]), {"template": "talk"}).status_code == 404
    )
    assert client.post(reverse("development:notice_create", args=[case.pk]), {"kind": "candidate"}).status_code == 404
    assert (
        client.post(
            f"/api/development/cases/{case.pk}/notices", {"kind": "candidate"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/development/cases/{case.pk}/documents/generate",
            {"template": "talk"},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert client.post(reverse("development:notice_detail", args=[notice.pk]), {"text": "x"}).status_code == 404
    assert (CaseDocument.objects.count(), PublicNotice.objects.count()) == before


# --- dossier ------------------------------------------------------------------------------


def test_dossier_is_audited_and_masks_the_id_number(world, setup, login):
    case, uploaded, generated, notice = setup
    person = case.person
    response = login(world.users["secretary1"]).get(reverse("development:dossier", args=[case.pk]))
    html = response.content.decode()
    event = AuditEvent.objects.get(action="development.dossier.view")
    assert event.actor == world.users["secretary1"]
    assert event.target_id == str(case.pk)
    assert person.id_number_masked in html
    assert person.reveal_id_number() not in html
    # The 25 steps, the documents list, the generated text, print layout without the navbar.
    assert html.count("未记录") == 25 - 12  # 12 steps done (two assessments of one step)
    assert "25. 材料归档" in html
    assert "政审材料.pdf" in html
    assert "培训时间 3 天，共 24 学时" in html
    assert (
        "break-after: page" in html and "nav.navbar" in html and "data-print" in html
    )  # app.js prints (no inline script)
    assert "发展对象公示" in html


def test_dossier_shows_the_id_number_to_view_sensitive(world, setup, login):
    case = setup[0]
    html = login(world.users["admin"]).get(reverse("development:dossier", args=[case.pk])).content.decode()
    assert case.person.reveal_id_number() in html
    assert AuditEvent.objects.filter(action="people.person.view_sensitive", target_id=str(case.person.pk)).exists()
    assert AuditEvent.objects.filter(action="development.dossier.view").count() == 1


# --- documents pages ----------------------------------------------------------------------


def test_upload_page_refuses_a_bad_file(world, setup, login):
    case = setup[0]
    client = login(world.users["secretary1"])
    count = CaseDocument.objects.count()
    response = client.post(
        reverse("development:documents", args=[case.pk]),
        {"file": SimpleUploadedFile("virus.exe", b"MZ"), "kind": "other"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "不支持的文件类型" in response.content.decode()
    assert CaseDocument.objects.count() == count
    response = client.post(
        reverse("development:documents", args=[case.pk]),
        {"file": SimpleUploadedFile("申请书.pdf", b"%PDF-1.7"), "kind": "application"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "已上传" in response.content.decode()
    assert CaseDocument.objects.count() == count + 1


def test_generate_page(world, setup, login):
    case = setup[0]
    client = login(world.users["secretary1"])
    url = reverse("development:document_generate", args=[case.pk])
    response = client.post(url, {"template": "oath"}, **HTMX)
    assert response.status_code == 422
    assert "尚未记录“入党宣誓”" in response.content.decode()
    response = client.post(url, {"template": "talk"})
    assert response.status_code == 302
    assert CaseDocument.objects.filter(kind=DocumentKind.TALK_RECORD, generated=True).count() == 1


def test_download_has_the_original_name(world, setup, login):
    case, uploaded, generated, notice = setup
    client = login(world.users["secretary1"])
    response = client.get(reverse("development:document", args=[uploaded.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert "%E6%94%BF%E5%AE%A1%E6%9D%90%E6%96%99.pdf" in response["Content-Disposition"]  # 政审材料.pdf
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 scan"
    page = client.get(reverse("development:document", args=[generated.pk])).content.decode()
    assert "集中培训结业证明" in page


def _documents_queries(client, case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("development:documents", args=[case.pk]), **HTMX)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_documents_list_query_count_is_constant(world, setup, login):
    case = setup[0]
    client = login(world.users["secretary1"])
    client.get("/")  # session and grants warm-up is not what we measure
    few = _documents_queries(client, case)
    for template in ("talk", "assessment", "political_review", "training", "talk"):
        documents.document_generate(actor=world.users["secretary1"], case_id=case.pk, template=template)
    many = _documents_queries(client, case)
    assert few == many == 7  # session, user, grants, case, count, page, record choices


def _board_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("development:notices"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _selector_queries(user) -> int:
    from django.core.paginator import Paginator

    from cloudbranch.orgs.scoping import forget_grants

    forget_grants(user)
    with CaptureQueriesContext(connection) as ctx:
        page = Paginator(notices.notice_board(user, today=D(2026, 11, 26)), 20).get_page(1)
        [(n.case.person.name, n.case.person.unit.name, n.case.person.unit.parent) for n in page.object_list]
    return len(ctx.captured_queries)


def test_notice_board_query_count_is_constant(world, setup, login):
    viewer = UserFactory()
    PersonFactory(unit=world.branch_a2, user=viewer)
    client = login(viewer)
    _board_queries(client)  # warm-up: per-process caches are not what we measure
    few_page, few = _board_queries(client), _selector_queries(viewer)
    for unit in (world.branch_a1, world.branch_a2, world.group_a1):
        case = make_case(actor=world.users["admin"], unit=unit, upto="branch_review")
        notices.notice_create(actor=world.users["admin"], case_id=case.pk, kind=NoticeKind.CANDIDATE)
    many_page, many = _board_queries(client), _selector_queries(viewer)
    html = client.get(reverse("development:notices")).content.decode()
    assert html.count("发展对象公示") == 3  # the a1 and a2 notices; the group's parent is branch a1, not the college
    # The board itself: grants, own person, count, one page of rows with their units. The full
    # page adds the session, the user and the menu entries of every app, also constant.
    assert (few, many) == (4, 4)
    assert few_page == many_page


def test_board_page_has_no_id_or_phone(world, setup, login):
    case, uploaded, generated, notice = setup
    viewer = UserFactory()
    PersonFactory(unit=world.branch_a2, user=viewer)
    client = login(viewer)
    for url in (reverse("development:notices"), reverse("development:notice_detail", args=[notice.pk])):
        html = client.get(url).content.decode()
        assert case.person.name in html
        assert case.person.id_number_masked not in html
        assert case.person.reveal_id_number() not in html
        assert case.person.phone not in html
    assert "修改公示" not in html  # not a manager
    stranger = UserFactory()
    PersonFactory(unit=world.branch_b1, user=stranger)
    client = login(stranger)
    assert client.get(reverse("development:notice_detail", args=[notice.pk])).status_code == 404
    assert case.person.name not in client.get(reverse("development:notices")).content.decode()


def test_notice_pages_for_the_secretary(world, login):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="branch_review")
    client = login(world.users["secretary1"])
    url = reverse("development:notice_create", args=[case.pk])
    assert "公示期（工作日）" in client.get(url).content.decode()
    response = client.post(url, {"kind": "candidate", "starts_on": "2026-09-28", "workdays": "0"})
    assert response.status_code == 422
    response = client.post(
        url, {"kind": "candidate", "starts_on": "2026-09-28", "workdays": "5", "contact": "电话 8888"}
    )
    notice = PublicNotice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "development:notice_detail", args=[notice.pk]
    )
    assert notice.ends_on == D(2026, 10, 9)
    response = client.post(url, {"kind": "candidate", "starts_on": "2026-10-01", "workdays": "5"})
    assert response.status_code == 409
    detail = reverse("development:notice_detail", args=[notice.pk])
    response = client.post(detail, {"text": notice.text, "contact": "电话 8888", "objections": "无异议"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.objections == "无异议"


# --- calendar -----------------------------------------------------------------------------


def test_calendar_page(world, login):
    client = login(world.users["admin"])
    page = client.get(reverse("development:calendar") + "?year=2026").content.decode()
    assert "节假日与调休" in page and "2026-10-10" in page and "调休上班" in page
    response = client.post(reverse("development:calendar"), {"date": "2027-01-01", "is_workday": "0", "note": "元旦"})
    assert response.status_code == 302
    response = client.post(reverse("development:calendar"), {"date": "2027-01-02", "is_workday": "0"})
    assert response.status_code == 422 and "本来就是休息日" in response.content.decode()
    committee = UserFactory()
    grant(committee, world.college_a, Role.COMMITTEE_SECRETARY)
    client = login(committee)
    assert client.get(reverse("development:calendar")).status_code == 200  # reads
    assert "添加一天" not in client.get(reverse("development:calendar")).content.decode()
    assert client.post(reverse("development:calendar"), {"date": "2027-01-04", "is_workday": "0"}).status_code == 403
    from cloudbranch.development.models import CalendarDay

    day = CalendarDay.objects.get(date=D(2027, 1, 1))
    assert client.post(reverse("development:calendar_delete", args=[day.pk])).status_code == 403
    assert login(world.users["member1"]).get(reverse("development:calendar")).status_code == 403
    client = login(world.users["admin"])
    assert client.post(reverse("development:calendar_delete", args=[day.pk])).status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()


# --- API ----------------------------------------------------------------------------------


def test_api(world, setup, login):
    case, uploaded, generated, notice = setup
    client = login(world.users["secretary1"])
    listed = client.get(f"/api/development/cases/{case.pk}/documents").json()
    assert listed["count"] == 2
    assert {d["kind"] for d in listed["items"]} == {"political_review", "training_certificate"}
    response = client.post(
        f"/api/development/cases/{case.pk}/documents",
        {"file": SimpleUploadedFile("申请书.pdf", b"%PDF-1.7"), "kind": "application"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["url"] == reverse("development:document", args=[response.json()["id"]])
    response = client.post(
        f"/api/development/cases/{case.pk}/documents", {"file": SimpleUploadedFile("a.png", b"nope"), "kind": "other"}
    )
    assert response.status_code == 422 and "内容与扩展名" in response.json()["detail"]
    response = client.post(
        f"/api/development/cases/{case.pk}/documents/generate",
        {"template": "training"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert "共 24 学时" in response.json()["body"]
    detail = client.get(f"/api/development/documents/{generated.pk}").json()
    assert detail["generated"] is True and "准予结业" in detail["body"]
    response = client.post(
        f"/api/development/cases/{case.pk}/notices",
        {"kind": "candidate", "starts_on": "2026-09-28"},
        content_type="application/json",
    )
    assert response.status_code == 409  # one notice is already running
    assert client.get(f"/api/development/cases/{case.pk}/notices").json()["count"] == 1
    board = client.get("/api/development/notices").json()
    assert [n["id"] for n in board["items"]] == [notice.pk]
    assert "objections" not in board["items"][0]
    days = client.get("/api/development/calendar?year=2026&page_size=100").json()
    assert any(d["date"] == "2026-10-10" and d["is_workday"] for d in days["items"])
    assert days["count"] == 25


def test_api_notice_create(world, login):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="branch_review")
    client = login(world.users["secretary1"])
    response = client.post(
        f"/api/development/cases/{case.pk}/notices",
        {"kind": "candidate", "starts_on": "2026-09-28", "workdays": 5},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["ends_on"] == "2026-10-09"
    other = UserFactory()
    PersonFactory(unit=world.branch_b1, user=other)
    assert login(other).get("/api/development/notices").json()["count"] == 0
