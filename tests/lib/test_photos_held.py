"""A form refused for another field keeps the photos it was given: the page
carries a signed token of the held files, which a forged or stale token
cannot replace."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from civicgrid.cases.forms import ReportForm
from civicgrid.lib import photos
from civicgrid.risks.forms import VisitForm
from tests.cases.conftest import jpeg_with_gps

pytestmark = pytest.mark.usefixtures("media_in_tmp")


def upload(name="door.jpg"):
    return SimpleUploadedFile(name, jpeg_with_gps(), "image/jpeg")


def token_in(html: str, name: str) -> str:
    found = re.search(rf'name="{name}__held" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_a_refused_visit_form_holds_its_photo_for_the_next_try(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = VisitForm({"at": "2026-12-02T05:51"}, MultiValueDict({"photo": [upload()]}))
    assert first.is_valid()  # the service refuses it later (no notes), the page shows it again
    html = str(first["photo"])
    assert "已保留您选择的照片" in html
    token = token_in(html, "photo")
    assert len(list((tmp_path / "held-photos").iterdir())) == 1

    again = VisitForm({"at": "2026-12-02T05:51", "photo__held": token}, MultiValueDict())
    assert again.is_valid()
    kept = again.cleaned_data["photo"]
    assert kept.kind == "JPEG" and kept.image.startswith(b"\xff\xd8")
    # Shown again (refused once more): the same token passes on.
    assert token_in(str(again["photo"]), "photo") == token


def test_a_new_file_wins_over_the_held_one(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    held = photos.hold([photos.prepare(upload())])
    form = VisitForm(
        {"at": "2026-12-02T05:51", "photo__held": held}, MultiValueDict({"photo": [upload("b")]})
    )
    assert form.is_valid()
    assert form.cleaned_data["photo"].original == jpeg_with_gps()


@pytest.mark.parametrize("tamper", ["forged", "missing file"])
def test_a_forged_or_stale_token_is_refused(settings, tmp_path, tamper):
    settings.DATA_DIR = tmp_path
    token = photos.hold([photos.prepare(upload())])
    if tamper == "forged":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        for path in (tmp_path / "held-photos").iterdir():
            path.unlink()
    form = VisitForm({"at": "2026-12-02T05:51", "photo__held": token}, MultiValueDict())
    assert not form.is_valid()
    assert form.errors["photo"] == ["保留的照片已失效，请重新选择。"]


def test_the_report_form_holds_several_photos(settings, tmp_path, fire_lane):
    settings.DATA_DIR = tmp_path
    form = ReportForm({}, MultiValueDict({"photos": [upload("a.jpg"), upload("b.jpg")]}))
    assert not form.is_valid() and "photos" not in form.errors
    html = str(form["photos"])
    assert "已保留您选择的 2 张照片" in html
    again = ReportForm({"photos__held": token_in(html, "photos")}, MultiValueDict())
    again.is_valid()
    assert len(again.cleaned_data["photos"]) == 2
