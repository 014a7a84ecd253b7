"""T8: uploads refused by content, size, count and name; random stored names; downloads only through
the permission-checked view, as attachments with nosniff."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from cernai.core import files, registry
from cernai.core.models import PrivateFile

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, content: bytes = PDF, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


def test_a_real_pdf_is_stored_under_a_random_name(applicant: Any) -> None:
    stored = files.store_upload(upload=upload("My CV.pdf"), owner=applicant, purpose="cv")
    other = files.store_upload(upload=upload("My CV.pdf"), owner=applicant, purpose="cv")
    assert stored.original_name == "My CV.pdf"
    assert stored.content_type == "application/pdf" and stored.size == len(PDF)
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored.stored_name)
    assert stored.stored_name != other.stored_name
    assert "CV" not in stored.stored_name
    on_disk = Path(settings.MEDIA_ROOT) / files.STORAGE_DIR / stored.stored_name
    assert on_disk.read_bytes() == PDF


def test_over_the_size_limit_is_refused_naming_the_file_and_the_limit(applicant: Any) -> None:
    big = PDF + b"0" * (settings.UPLOAD_MAX_BYTES + 1 - len(PDF))
    with pytest.raises(ValidationError) as exc:
        files.store_upload(upload=upload("thesis.pdf", big), owner=applicant, purpose="paper")
    assert exc.value.code == "too_large"
    assert "thesis.pdf" in refusal(exc) and "limit" in refusal(exc)
    assert not PrivateFile.objects.exists()


def test_exactly_at_the_size_limit_is_accepted(applicant: Any) -> None:
    exact = PDF + b"0" * (settings.UPLOAD_MAX_BYTES - len(PDF))
    assert files.store_upload(upload=upload("thesis.pdf", exact), owner=applicant, purpose="paper").size == len(exact)


def test_too_many_files_are_refused() -> None:
    batch = [upload(f"f{i}.pdf") for i in range(settings.UPLOAD_MAX_FILES + 1)]
    with pytest.raises(ValidationError) as exc:
        files.validate_file_count(batch)
    assert exc.value.code == "too_many_files"
    assert f"at most {settings.UPLOAD_MAX_FILES}" in refusal(exc)
    files.validate_file_count(batch[:-1])
    with pytest.raises(ValidationError):
        files.validate_file_count(batch[:2], already=settings.UPLOAD_MAX_FILES - 1)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cv.pdf", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("cv.pdf", b"<html><body onload=alert(1)>"),
        ("logo.pdf", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("logo.pdf", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("cv.pdf", b"MZ\x90\x00 an executable"),
        ("cv.pdf", b" %PDF-1.7 with a leading space"),
    ],
    ids=["html", "html-body", "svg-xml", "svg", "exe", "pdf-not-at-start"],
)
def test_content_that_is_not_pdf_is_refused_whatever_its_name(applicant: Any, name: str, content: bytes) -> None:
    with pytest.raises(ValidationError) as exc:
        files.store_upload(upload=upload(name, content), owner=applicant, purpose="cv")
    assert exc.value.code == "bad_type"
    assert name in refusal(exc) and "not a real PDF" in refusal(exc)
    assert not PrivateFile.objects.exists()


def test_a_png_is_refused_where_only_pdf_is_allowed_and_accepted_where_images_are(applicant: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        files.store_upload(upload=upload("photo.png", PNG, "image/png"), owner=applicant, purpose="cv")
    assert exc.value.code == "bad_type"
    stored = files.store_upload(
        upload=upload("photo.png", PNG, "image/png"), owner=applicant, purpose="photo", allowed=(files.PNG,)
    )
    assert stored.content_type == "image/png" and stored.stored_name.endswith(".png")


def test_a_real_pdf_with_a_misleading_extension_is_refused(applicant: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        files.store_upload(upload=upload("cv.html", PDF), owner=applicant, purpose="cv")
    assert exc.value.code == "bad_extension" and "cv.html" in refusal(exc)


def test_an_empty_file_is_refused(applicant: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        files.store_upload(upload=upload("empty.pdf", b""), owner=applicant, purpose="cv")
    assert exc.value.code == "empty" and "empty.pdf" in refusal(exc)


@pytest.mark.parametrize(
    "name",
    ["..\\..\\etc\\passwd.pdf", "a\\b.pdf", "..pdf", "cv\x00.pdf", "x" * 201 + ".pdf"],
    ids=["backslash-traversal", "backslash", "dots", "nul", "too-long"],
)
def test_path_tricks_in_the_name_are_refused(applicant: Any, name: str) -> None:
    bad = upload("placeholder.pdf")
    bad._name = name  # what a non-Django caller could hand over: Django's setter would strip folders
    with pytest.raises(ValidationError) as exc:
        files.store_upload(upload=bad, owner=applicant, purpose="cv")
    assert exc.value.code == "bad_name"
    assert "is not allowed" in refusal(exc)
    assert not PrivateFile.objects.exists()


def test_a_traversal_name_in_a_real_multipart_post_never_reaches_the_disk(applicant: Any) -> None:
    request = RequestFactory().post("/", {"file": upload("../../../../tmp/evil.pdf")})
    received = request.FILES["file"]
    stored = files.store_upload(upload=received, owner=applicant, purpose="cv")
    assert "/" not in stored.original_name and ".." not in stored.original_name
    assert (Path(settings.MEDIA_ROOT) / files.STORAGE_DIR / stored.stored_name).is_file()
    assert not (Path("/") / "tmp" / "evil.pdf").exists()


@pytest.fixture
def cv(applicant: Any) -> PrivateFile:
    return files.store_upload(upload=upload("Ana's CV.pdf"), owner=applicant, purpose="cv")


def test_the_owner_downloads_an_attachment_with_nosniff(cv: PrivateFile, applicant: Any) -> None:
    client = Client()
    client.force_login(applicant)
    response = client.get(f"/files/{cv.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "CV.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF


def test_staff_may_download(cv: PrivateFile, secretariat: Any, login: Any) -> None:
    assert login(secretariat).get(f"/files/{cv.pk}/").status_code == 200


def test_others_get_404_and_anonymous_visitors_are_sent_to_log_in(cv: PrivateFile, reviewer: Any, login: Any) -> None:
    assert login(reviewer).get(f"/files/{cv.pk}/").status_code == 404
    response = Client().get(f"/files/{cv.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_unknown_file_is_404_like_a_forbidden_one(applicant: Any) -> None:
    client = Client()
    client.force_login(applicant)
    assert client.get("/files/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_media_is_not_served_by_url(cv: PrivateFile, applicant: Any) -> None:
    client = Client()
    client.force_login(applicant)
    for path in (f"/media/private/{cv.stored_name}", f"/private/{cv.stored_name}", f"/static/private/{cv.stored_name}"):
        assert client.get(path).status_code == 404, path


def test_registered_access_checks_grant_access(cv: PrivateFile, reviewer: Any, login: Any) -> None:
    def reviewers_see_cvs(user: Any, private_file: Any) -> bool:
        return private_file.purpose == "cv" and user.groups.filter(name="Reviewers").exists()

    registry.add_file_access_check(reviewers_see_cvs)
    try:
        assert login(reviewer).get(f"/files/{cv.pk}/").status_code == 200
        outsider = Client()
        from tests.factories import UserFactory

        outsider.force_login(UserFactory(email="outsider@example.org"))
        assert outsider.get(f"/files/{cv.pk}/").status_code == 404
    finally:
        registry.FILE_ACCESS_CHECKS.remove(reviewers_see_cvs)
