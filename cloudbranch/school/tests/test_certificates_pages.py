"""Certificate pages: the public verification page (logged out, masked, revoked, unknown code
404 in Chinese, rate limit), the PDF download, the revoke form, the public API."""

import pytest
from django.test import Client
from django.urls import reverse

from cloudbranch.school import certificates
from cloudbranch.testing.factories import UserFactory

from .factories import make_class, make_enrolment, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world):
    teacher = UserFactory()
    tc = make_class(world.college_a, head_teacher=teacher, title="第 5 期入党积极分子培训班")
    user, person = make_student(world.branch_a1, name="冯核验")
    e = make_enrolment(tc, person)
    (cert,) = certificates.issue_certificates(actor=teacher, training_class=tc, enrolments=[e])
    return teacher, tc, user, cert


def test_verify_page_works_logged_out(issued):
    _t, _tc, _u, cert = issued
    response = Client().get(reverse("school:verify", args=[cert.code]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "冯**" in body and "冯核验" not in body
    assert "第 5 期入党积极分子培训班" in body and cert.serial in body and "有效" in body


def test_verify_page_revoked_shows_date_not_reason(issued):
    teacher, _tc, _u, cert = issued
    certificates.certificate_revoke(actor=teacher, certificate_id=cert.pk, reason="机密的撤销原因")
    body = Client().get(reverse("school:verify", args=[cert.code])).content.decode()
    assert "已撤销" in body and "撤销日期" in body and "机密的撤销原因" not in body


def test_unknown_code_is_a_chinese_404():
    response = Client().get(reverse("school:verify", args=["nope"]))
    assert response.status_code == 404
    assert "未找到该证书" in response.content.decode()


def test_verify_is_rate_limited_per_ip(issued, monkeypatch):
    _t, _tc, _u, cert = issued
    monkeypatch.setattr(certificates, "VERIFY_LIMIT", 3)
    client = Client(REMOTE_ADDR="203.0.113.9")
    codes = [client.get(reverse("school:verify", args=[cert.code])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="203.0.113.10").get(reverse("school:verify", args=[cert.code])).status_code == 200


def test_verify_api_without_auth(issued):
    _t, _tc, _u, cert = issued
    response = Client().get(f"/api/school/verify/{cert.code}")
    assert response.status_code == 200
    data = response.json()
    assert data["masked_name"] == "冯**" and data["serial"] == cert.serial and data["status"] == "有效"
    assert data["valid"] is True and data["revoked_on"] is None and "冯核验" not in response.content.decode()
    missing = Client().get("/api/school/verify/nope")
    assert missing.status_code == 404 and missing.json()["detail"]


def test_pdf_download_and_access(world, issued, login):
    teacher, _tc, user, cert = issued
    url = reverse("school:certificate_pdf", args=[cert.pk])
    response = login(user).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and cert.serial.encode() in response.content
    assert login(world.users["secretary1"]).get(url).status_code == 200  # the student's branch secretary
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 404
    page = login(user).get(reverse("school:certificate", args=[cert.pk]))
    assert page.status_code == 200 and cert.serial in page.content.decode() and "<svg" in page.content.decode()
    assert "撤销证书" not in page.content.decode()


def test_revoke_form_and_revoked_pdf_refused(world, issued, login):
    teacher, _tc, user, cert = issued
    client = login(teacher)
    assert "撤销证书" in client.get(reverse("school:certificate", args=[cert.pk])).content.decode()
    response = client.post(reverse("school:certificate_revoke", args=[cert.pk]), {"reason": ""})
    assert response.status_code == 422 and "撤销原因" in response.content.decode()
    assert login(user).post(reverse("school:certificate_revoke", args=[cert.pk]), {"reason": "x"}).status_code == 403
    response = login(teacher).post(reverse("school:certificate_revoke", args=[cert.pk]), {"reason": "学时不实"})
    assert response.status_code == 302
    response = login(user).get(reverse("school:certificate_pdf", args=[cert.pk]))
    assert response.status_code == 409 and "已撤销" in response.content.decode()


def test_certificate_api_lists(world, issued, login):
    teacher, tc, user, cert = issued
    mine = login(user).get("/api/school/certificates/mine").json()
    assert [c["serial"] for c in mine["items"]] == [cert.serial]
    assert login(teacher).get(f"/api/school/classes/{tc.pk}/certificates").json()["count"] == 1
    assert login(world.users["secretary2"]).get(f"/api/school/classes/{tc.pk}/certificates").status_code == 404
    response = login(teacher).post(
        f"/api/school/certificates/{cert.pk}/revoke", {"reason": "重复"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["revoked"] is True
