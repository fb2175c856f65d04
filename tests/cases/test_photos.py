"""Photos: recognised by content, metadata (EXIF with GPS) stripped, size-limited, stored
under the media root and served with safe headers."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select

from civitas.cases.models import RequestMedia, ServiceRequest
from civitas.core.config import get_settings
from civitas.core.db import session_scope
from civitas.core.tenancy import bind_all_cities
from tests.factories import bearer


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = exif.get_ifd(0x8825)
    gps.update({1: "S", 2: (8.0, 6.0, 42.0), 3: "W", 4: (79.0, 1.0, 43.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def image_bytes(fmt: str, size=(40, 30), noise=False) -> bytes:
    image = (
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
        if noise
        else Image.new("RGB", size, "blue")
    )
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def post_with(client, world, files, **extra):
    data = {
        "api_key": world.a.api_key,
        "jurisdiction_id": "trujillo.example",
        "service_code": "a-light",
        "address_string": "Jr. Pizarro 123",
        "attribute[fault]": "out",
        **extra,
    }
    return client.post("/open311/v2/requests.json", data=data, files=files)


def media_rows():
    """Photos stored by the test (the world's request 1 in each city has one already)."""
    with session_scope() as db:
        bind_all_cities(db)
        return list(
            db.scalars(select(RequestMedia).join(ServiceRequest).where(ServiceRequest.number != 1))
        )


def test_jpeg_is_stored_upright_without_any_metadata(client, two_cities):
    original = jpeg_with_gps()
    assert b"SecretCameraMaker" in original
    r = post_with(client, two_cities, [("media", ("IMG_0001.JPG", original, "image/jpeg"))])
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    (row,) = media_rows()
    stored = (get_settings().media_root / row.path).read_bytes()
    assert b"SecretCameraMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.size == (48, 64)  # orientation applied before the tag was dropped
    entry = client.get(
        f"/open311/v2/requests/{number}.json?jurisdiction_id=trujillo.example"
    ).json()[0]
    url = entry["media_url"]
    assert url.startswith("https://civitas.test/media/trujillo/")
    served = client.get(url.removeprefix("https://civitas.test"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in served.headers["content-security-policy"]
    assert served.content == stored


def test_the_format_comes_from_the_content_not_the_name(client, two_cities):
    png = image_bytes("PNG")
    r = post_with(client, two_cities, [("media", ("photo.jpg", png, "image/jpeg"))])
    assert r.status_code == 200, r.text
    (row,) = media_rows()
    assert row.content_type == "image/png"
    assert row.path.endswith(".png")


def test_webp_is_accepted(client, two_cities):
    r = post_with(client, two_cities, [("media", ("w.webp", image_bytes("WEBP"), "image/webp"))])
    assert r.status_code == 200, r.text
    assert media_rows()[0].content_type == "image/webp"


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><script>alert(1)</script></html>",
        b"GIF89a" + b"\x00" * 100,
        b"\xff\xd8\xff\xe0" + b"\x00" * 50,  # a JPEG header and nothing after it
    ],
)
def test_fake_or_damaged_images_are_refused_and_nothing_is_stored(client, two_cities, payload):
    with session_scope() as db:
        bind_all_cities(db)
        before = db.scalar(select(func.count(ServiceRequest.id)))
    r = post_with(client, two_cities, [("media", ("cat.jpg", payload, "image/jpeg"))])
    assert r.status_code == 400
    assert r.json()[0]["description"].startswith("media[0]:")
    with session_scope() as db:
        bind_all_cities(db)
        assert db.scalar(select(func.count(ServiceRequest.id))) == before
    assert media_rows() == []


def test_size_and_count_limits(client, two_cities, monkeypatch):
    monkeypatch.setenv("CIVITAS_MAX_PHOTO_BYTES", "20000")
    get_settings.cache_clear()
    try:
        big = image_bytes("PNG", size=(200, 200), noise=True)
        assert len(big) > 20000
        r = post_with(client, two_cities, [("media", ("big.png", big, "image/png"))])
        assert r.status_code == 400
        assert "MB" in r.json()[0]["description"]
        six = [("media", (f"{i}.png", image_bytes("PNG"), "image/png")) for i in range(6)]
        r = post_with(client, two_cities, six)
        assert r.status_code == 400
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_multipart_bodies_may_exceed_the_json_limit(client, two_cities):
    photo = image_bytes("PNG", size=(1000, 800), noise=True)
    assert len(photo) > 2 * 1024 * 1024  # over the JSON body limit, under the upload limit
    r = post_with(client, two_cities, [("media", ("noise.png", photo, "image/png"))])
    assert r.status_code == 200, r.text


def test_a_field_worker_adds_photos_to_a_case(client, two_cities):
    worker = bearer(client, "trujillo", "a-fieldworker")
    r = client.post(
        "/api/v1/cities/trujillo/requests/1/media",
        files=[("media", ("after.jpg", image_bytes("JPEG"), "image/jpeg"))],
        headers=worker,
    )
    assert r.status_code == 201, r.text
    (photo,) = r.json()
    assert photo["content_type"] == "image/jpeg"
    assert client.get(photo["url"].removeprefix("https://civitas.test")).status_code == 200
    audit = client.get("/api/v1/cities/trujillo/requests/1/audit", headers=worker).json()
    assert audit[-1]["action"] == "request.photos_added"


def test_photos_of_another_city_are_not_served(client, two_cities):
    r = post_with(client, two_cities, [("media", ("a.png", image_bytes("PNG"), "image/png"))])
    number = r.json()[0]["service_request_id"]
    (row,) = media_rows()
    extension = row.path.rsplit(".", 1)[1]
    assert client.get(f"/media/trujillo/{number}/{row.id}.{extension}").status_code == 200
    assert client.get(f"/media/musterstadt/{number}/{row.id}.{extension}").status_code == 404
    assert client.get(f"/media/trujillo/{number}/{row.id}.gif").status_code == 404
