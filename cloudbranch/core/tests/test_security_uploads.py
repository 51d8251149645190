"""Uploads: every upload entry point of the code base is registered here with the function that
checks its content (type sniffing) and its size, and bodies that are too large get a clear answer."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from django.test import override_settings

from cloudbranch.core.documents import SPREADSHEET_MAX_BYTES, spreadsheet_problem

ROOT = Path(__file__).resolve().parents[2]  # cloudbranch/
ENTRY = re.compile(r"request\.FILES|UploadedFile\b|forms\.FileField|forms\.ImageField")

#: app → the functions every upload of that app goes through (content sniffing + size limit).
CHECKERS = {
    "development": ["development.documents:clean_upload", "development.batch:read_rows"],
    "fees": ["fees.bases:read_payroll", "fees.reconcile:parse_settlement"],
    "learning": ["learning.resources:check_upload", "learning.question_import:_read"],
    "meetings": ["meetings.images:clean_upload"],
    "news": [
        "news.articles:clean_cover",
        "news.articles:clean_attachment",
        "news.feed:_check_video",
        "news.feed:_clean_photos",
    ],
    "paperwork": ["paperwork.services:template_check"],
    "people": ["people.importing:read_workbook", "people.import_views:MAX_UPLOAD_BYTES"],
    "school": ["school.assignments:clean_file", "school.enrolment:parse_list_file"],
    "volunteering": ["volunteering.wishes:clean_photo", "volunteering.partnerships:clean_agreement_file"],
    "worktasks": ["worktasks.uploads:clean_upload"],
}
SNIFF = re.compile(
    r"matches_extension|clean_image|spreadsheet_problem|is_zipfile|_magic_ok|sniff_video|load_workbook|read_workbook|ZipFile"
)
SIZE = re.compile(r"max_bytes|MAX_\w*BYTES|max_upload_bytes|spreadsheet_problem|read_upload|_read\(")


def _source(dotted: str) -> str:
    """The checker's source with the same-module helpers it calls (one level down)."""
    module_name, name = dotted.split(":")
    module = importlib.import_module(f"cloudbranch.{module_name}")
    target = getattr(module, name)
    if not callable(target):
        return f"{name} = {target!r}"
    text = inspect.getsource(target)
    for called in set(re.findall(r"\b(_?\w+)\(", text)):
        helper = getattr(module, called, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__ and helper is not target:
            text += inspect.getsource(helper)
    return text


def entry_point_files():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if {"tests", "migrations", "testing", "demo"} & set(rel.parts) or rel.name == "conftest.py":
            continue
        if ENTRY.search(path.read_text()):
            yield rel


def test_every_upload_entry_point_belongs_to_a_registered_app():
    unregistered = [str(rel) for rel in entry_point_files() if rel.parts[0] not in CHECKERS]
    assert not unregistered, f"register the upload checker of these entry points in CHECKERS: {unregistered}"


@pytest.mark.parametrize("app", sorted(CHECKERS))
def test_each_app_checks_content_and_size(app):
    text = "".join(_source(dotted) for dotted in CHECKERS[app])
    assert SNIFF.search(text), f"{app}: no content sniffing in {CHECKERS[app]}"
    assert SIZE.search(text), f"{app}: no size limit in {CHECKERS[app]}"


def test_spreadsheet_problem_sniffs_and_limits():
    import io

    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    assert spreadsheet_problem(buffer.getvalue()) is None
    assert "不是 Excel" in spreadsheet_problem(b"PK\x03\x04 not really a workbook")
    assert "超过" in spreadsheet_problem(b"x" * 11, max_bytes=10)
    assert SPREADSHEET_MAX_BYTES == 20 * 1024 * 1024


def test_upload_limits_are_set_deliberately(settings):
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 5000
    assert settings.MAX_REQUEST_BYTES > settings.LEARNING_MAX_UPLOAD_BYTES


@override_settings(MAX_REQUEST_BYTES=1000)
def test_body_over_the_ceiling_is_413_before_being_read(client, db):
    page = client.post("/accounts/login/", {"username": "x" * 2000, "password": "y"})
    assert page.status_code == 413 and "提交的内容过大" in page.content.decode()
    api = client.post("/api/me/tokens", {"name": "x" * 2000})
    assert api.status_code == 413 and api.json()["errors"] == []


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_request_data_too_big_is_a_clear_413_not_a_500(client, db):
    response = client.post("/accounts/login/", {"username": "x" * 2000, "password": "y"})
    assert response.status_code == 413
    assert "提交的内容过大" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_fields_is_a_clear_400(client, db):
    response = client.post("/accounts/login/", {f"f{i}": "1" for i in range(10)})
    assert response.status_code == 400
    assert "字段或文件过多" in response.content.decode()
