"""Uploads are what they claim: on every upload route an HTML or SVG file is
refused and nothing is stored; a polyglot (a real PNG carrying HTML, named
``evidence.html``) is stored under its detected type, and originals are
served as a download of that type, never as a page."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases.models import Case, Photo
from civicgrid.risks.models import Hazard, HazardPhoto, Visit

SCRIPT = b"<script>window.pwned = 1</script>"


def html_file():
    return SimpleUploadedFile(
        "evidence.html", b"<!doctype html><html><body>" + SCRIPT + b"</body></html>", "text/html"
    )


def svg_file():
    body = b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=1">' + SCRIPT + b"</svg>"
    return SimpleUploadedFile("photo.svg", body, "image/svg+xml")


def polyglot_file():
    """A valid PNG with an HTML page after its end: a browser sniffing it as
    HTML would run the script."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "blue").save(out, "PNG")
    return SimpleUploadedFile("evidence.html", out.getvalue() + b"<html>" + SCRIPT, "text/html")


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _report(client, upload, *, url="/cases/report/"):
    data = {
        "category": "fire_lane",
        "description": "楼下消防通道停满了车",
        "lat": "29.65",
        "lon": "91.15",
        "attribute[blocked_by]": "car",
        "client_key": "k-1",
        "confirmed": "1",
        "photos": upload,
    }
    return client.post(url, data)


# Each route: (who uploads, how it is sent). ``world`` holds the fixtures.
ROUTES = {
    "mobile report": ("rider", lambda c, w, f: _report(c, f)),
    "desk intake": ("staff_a", lambda c, w, f: _report(c, f, url="/cases/new/")),
    "case move": (
        "staff_a",
        lambda c, w, f: c.post(
            f"/cases/{w['case'].pk}/move/", {"action": "comment", "note": "照片", "photos": f}
        ),
    ),
    "case photos API": (
        "staff_a",
        lambda c, w, f: c.post(f"/api/v1/cases/{w['case'].pk}/photos", {"files": [f]}),
    ),
    "new hazard": (
        "grid_a",
        lambda c, w, f: c.post(
            f"/risks/hazards/new/?household={w['household'].pk}",
            {"kind": "gas", "severity": "minor", "description": "燃气软管老化", "photo": f},
        ),
    ),
    "hazard rectified": (
        "staff_a",
        lambda c, w, f: c.post(
            f"/risks/hazards/{w['hazard'].pk}/rectify/", {"note": "已整改", "photo": f}
        ),
    ),
    "visit": (
        "grid_a",
        lambda c, w, f: c.post(
            f"/risks/households/{w['household'].pk}/visit/",
            {"at": "2026-03-02 10:00", "notes": "走访", "photo": f},
        ),
    ),
}


@pytest.fixture
def world(personas, located, case_a, new_hazard, rider, client_for, api_for):  # noqa: F811
    people = personas | {"rider": rider}
    return {
        "case": case_a,
        "household": located["household_a"],
        "hazard": new_hazard(),
        "client": lambda name, api=False: (api_for if api else client_for)(people[name]),
    }


def _send(world, route, upload):
    who, send = ROUTES[route]
    client = world["client"](who, api=route.endswith("API"))
    return send(client, world, upload)


def _counts():
    return (Case.objects.count(), Photo.objects.count(), Hazard.objects.count())


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("make", [html_file, svg_file], ids=["html", "svg"])
def test_html_and_svg_are_refused_on_every_route(world, route, make):
    before, files = _counts(), stored_files()
    response = _send(world, route, make())
    if route == "hazard rectified":
        # A move answers on the hazard's page, with the refusal as its message.
        assert response.status_code == 302
        page = world["client"]("staff_a").get(response["Location"]).content.decode()
        assert "照片" in page
    else:
        assert response.status_code == 400, response.content[:300]
    assert _counts() == before and stored_files() == files
    assert not HazardPhoto.objects.exists() and not Visit.objects.exists()
    world["hazard"].refresh_from_db()
    assert world["hazard"].stage == "found"


@pytest.mark.parametrize("route", ROUTES)
def test_a_polyglot_is_kept_only_as_what_it_really_is(world, route):
    response = _send(world, route, polyglot_file())
    assert response.status_code in (200, 201, 302), response.content[:300]
    for path in stored_files():
        assert path.suffix in {".jpg", ".png"}, path
        assert b"<script" not in path.read_bytes() or path.suffix == ".png", path
    assert stored_files(), "the photo was stored"


def test_an_original_is_a_download_of_its_detected_type(world):
    staff = world["client"]("staff_a")
    case = world["case"]
    _send(world, "case move", polyglot_file())
    photo = case.photos.get()
    assert photo.original.name.endswith(".png")
    response = staff.get(f"/cases/{case.pk}/photos/{photo.key}/original/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="{photo.key.hex}.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    copy = staff.get(f"/cases/{case.pk}/photos/{photo.key}/")
    assert copy["Content-Type"] == "image/jpeg" and copy["X-Content-Type-Options"] == "nosniff"


def test_an_original_stored_before_the_check_is_never_served_as_html(world):
    """A file from before uploads were checked keeps its name: its type is
    read from the content when it is served."""
    staff = world["client"]("staff_a")
    case = world["case"]
    _send(world, "case move", polyglot_file())
    photo = case.photos.get()
    old = Path(photo.original.path)
    photo.original.name = photo.original.name.replace(".png", ".html")
    old.rename(photo.original.path)
    photo.save()
    response = staff.get(f"/cases/{case.pk}/photos/{photo.key}/original/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    Path(photo.original.path).write_bytes(b"<html>" + SCRIPT)
    response = staff.get(f"/cases/{case.pk}/photos/{photo.key}/original/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{photo.key.hex}.bin"'


def test_hazard_photos_are_served_through_the_hazard_scope(world, personas, client_for):
    _send(world, "hazard rectified", polyglot_file())
    photo = HazardPhoto.objects.get()
    url = f"/risks/hazards/{photo.hazard_id}/photos/{photo.key}/"
    page = world["client"]("staff_a").get(f"/risks/hazards/{photo.hazard_id}/").content.decode()
    assert f"{url}thumbnail/" in page
    shown = client_for(personas["staff_a"]).get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert client_for(personas["staff_b"]).get(url).status_code == 404


def test_the_register_import_refuses_html(personas, client_for):
    upload = SimpleUploadedFile("households.xlsx", b"<html>" + SCRIPT)
    response = client_for(personas["staff_a"]).post("/registry/excel/import/", {"file": upload})
    assert response.status_code == 400 and stored_files() == []
