"""Uploaded files on S3-compatible storage (STORAGE_BACKEND=s3, moto standing in for the service):
a real upload service writes through default_storage, the file reads back and downloads through the
application's view, and storage.url() is a signed, expiring URL. Also: the settings switch."""

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto import mock_aws

from cloudbranch.development import documents
from cloudbranch.development.choices import DocumentKind
from cloudbranch.development.tests.factories import make_case
from cloudbranch.settings.base import s3_storage

BUCKET = "cloudbranch-test-media"
S3_ENV = {
    "S3_BUCKET": BUCKET,
    "S3_ACCESS_KEY_ID": "testing",
    "S3_SECRET_ACCESS_KEY": "testing",
    "S3_REGION": "cn-north-1",
    "S3_URL_EXPIRE": "120",
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def s3(settings, monkeypatch, tmp_path):
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    settings.MEDIA_ROOT = tmp_path / "media"  # nothing may land here
    with mock_aws():
        client = boto3.client("s3", region_name="cn-north-1")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
        settings.STORAGES = {**settings.STORAGES, "default": s3_storage(S3_ENV)}
        settings.STORAGE_BACKEND = "s3"
        yield client


def test_s3_settings_are_private_signed_and_never_overwrite():
    config = s3_storage(
        {**S3_ENV, "S3_ENDPOINT_URL": "https://oss-cn-hangzhou.aliyuncs.com", "S3_ADDRESSING_STYLE": "virtual"}
    )
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["OPTIONS"]
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["querystring_expire"] == 120 and options["file_overwrite"] is False
    assert options["endpoint_url"] == "https://oss-cn-hangzhou.aliyuncs.com"
    assert "custom_domain" not in options


@pytest.mark.django_db
def test_case_document_upload_is_stored_in_s3_and_served_back(world, s3, client, settings):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="admission_vote")

    document = documents.document_upload(
        actor=world.users["secretary1"],
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("入党申请书.pdf", PDF),
        kind=DocumentKind.APPLICATION,
    )

    assert type(default_storage._wrapped).__name__ == "S3Storage"
    stored = s3.get_object(Bucket=BUCKET, Key=document.file.name)
    assert stored["Body"].read() == PDF
    grants = s3.get_object_acl(Bucket=BUCKET, Key=document.file.name)["Grants"]
    assert all(g["Grantee"].get("URI", "").endswith("AllUsers") is False for g in grants)  # private
    with document.file.open("rb") as fh:
        assert fh.read() == PDF

    url = document.file.url
    assert url.startswith(f"https://{BUCKET}.s3") or f"/{BUCKET}/" in url
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=120" in url

    client.force_login(world.users["secretary1"])
    response = client.get(reverse("development:document", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert not settings.MEDIA_ROOT.exists()  # nothing went to the local disk
