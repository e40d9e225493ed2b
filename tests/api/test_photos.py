import hashlib
import io

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from app import create_app
from app.models import Photo
from tests.open311_client import body, error_codes
from tests.staff_client import bearer

FORM = {"service_code": "TREE", "lat": "42.04", "long": "-87.70"}


def photo_with_gps(fmt="JPEG", size=(40, 30), orientation=None) -> bytes:
    """An image whose EXIF carries a camera name and GPS position."""
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (42.0, 2.0, 24.0)
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif)
    return buffer.getvalue()


def post(client, api_key, fmt="json", *, data, field="media", filename="photo.jpg", **extra):
    form = {**FORM, "api_key": api_key, **extra, field: (io.BytesIO(data), filename)}
    return client.post(f"/open311/v2/requests.{fmt}", data=form,
                       content_type="multipart/form-data")


def stored_bytes(db_session, url: str) -> bytes:
    return db_session.scalar(sa.select(Photo.data).where(Photo.name == url.rsplit("/", 1)[1]))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_uploaded_photo_becomes_the_media_url(client, api_key, jurisdiction, fmt):
    response = post(client, api_key, fmt, data=photo_with_gps())
    (created,) = body(response, fmt)
    (listed,) = body(client.get(
        f"/open311/v2/requests/{created['service_request_id']}.{fmt}"), fmt)
    assert listed["media_url"] == created["media_url"]
    assert listed["media_url"].startswith("http://localhost/media/")


def test_stored_photo_has_no_exif_or_gps(db_session, client, api_key, jurisdiction):
    (created,) = post(client, api_key, data=photo_with_gps()).get_json()
    stored = stored_bytes(db_session, created["media_url"])
    assert b"TestCam" not in stored and b"Exif" not in stored
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}


def test_photo_is_turned_upright_before_its_exif_goes(db_session, client, api_key,
                                                      jurisdiction):
    # Orientation 6: the camera held sideways; the stored pixels must be rotated instead.
    (created,) = post(client, api_key, data=photo_with_gps(orientation=6)).get_json()
    with Image.open(io.BytesIO(stored_bytes(db_session, created["media_url"]))) as stored:
        assert stored.size == (30, 40)


def test_stored_photo_is_served_at_its_media_url(db_session, client, api_key, jurisdiction):
    (created,) = post(client, api_key, data=photo_with_gps("PNG"),
                      filename="x.png").get_json()
    path = created["media_url"].removeprefix("http://localhost")
    with client.get(path) as response:
        assert response.status_code == 200
        assert response.content_type == "image/png"
        assert response.data == stored_bytes(db_session, created["media_url"])
        assert response.headers["ETag"] == f'"{hashlib.sha256(response.data).hexdigest()}"'
        assert response.cache_control.public and response.cache_control.immutable
        assert response.cache_control.max_age >= 30 * 86400
        etag = response.headers["ETag"]
    with client.get(path, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""


@pytest.mark.usefixtures("jurisdiction")
def test_photo_uploaded_on_one_host_is_served_by_another(app, db_session, client, api_key,
                                                         tmp_path):
    # A second app instance, as on another host: its own MEDIA_DIR, empty; the same database.
    other_host = create_app({**app.config, "MEDIA_DIR": str(tmp_path / "other-host")})
    (created,) = post(client, api_key, data=photo_with_gps()).get_json()
    path = created["media_url"].removeprefix("http://localhost")
    with other_host.test_client().get(path) as response:
        assert response.status_code == 200
        assert response.data == stored_bytes(db_session, created["media_url"])
    assert not (tmp_path / "other-host").exists() or not any((tmp_path / "other-host").iterdir())


def test_web_form_photo_is_stored_with_the_report(db_session, client, jurisdiction):
    before = db_session.scalar(sa.select(sa.func.count()).select_from(Photo))
    response = client.post("/report", content_type="multipart/form-data", data={
        "service_code": "TREE", "lat": "42.04", "long": "-87.70",
        "media": (io.BytesIO(photo_with_gps()), "p.jpg")}, headers={"Accept": "application/json"})
    assert response.status_code == 201, response.data
    stored = db_session.scalars(sa.select(Photo).where(
        Photo.service_request_id == int(response.get_json()["service_request_id"]))).all()
    assert len(stored) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Photo)) == before + 1


def test_photo_under_another_file_field_is_accepted(client, api_key, jurisdiction):
    (created,) = post(client, api_key, field="file", data=photo_with_gps()).get_json()
    assert "/media/" in created["media_url"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_file_that_is_not_an_image_is_400_whatever_its_name(client, api_key, jurisdiction,
                                                            fmt):
    response = post(client, api_key, fmt, data=b"<script>alert(1)</script>",
                    filename="photo.jpg")
    assert response.status_code == 400
    assert error_codes(response, fmt) == [400]


@pytest.mark.usefixtures("jurisdiction")
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_photo_over_the_size_limit_is_413_in_the_open311_format(app, client, api_key,
                                                                monkeypatch, fmt):
    data = photo_with_gps(size=(200, 200))
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", len(data) - 1)
    response = post(client, api_key, fmt, data=data)
    assert response.status_code == 413
    assert error_codes(response, fmt) == [413]


def test_refused_report_stores_no_photo(db_session, client, api_key, jurisdiction):
    count = sa.select(sa.func.count()).select_from(Photo)
    before = db_session.scalar(count)
    response = post(client, api_key, data=photo_with_gps(), service_code="NOPE")
    assert response.status_code == 404
    assert db_session.scalar(count) == before


def test_media_import_loads_earlier_files_under_their_names(app, db_session, client,
                                                           tmp_path):
    earlier = tmp_path / "media"
    earlier.mkdir()
    (earlier / "earlier1.jpg").write_bytes(photo_with_gps())
    (earlier / "notes.txt").write_text("not a photo")
    result = app.test_cli_runner().invoke(args=["media", "import", "--from", str(earlier)])
    assert result.exit_code == 0, result.output
    assert "1 photos imported" in result.output
    with client.get("/media/earlier1.jpg") as response:
        assert response.status_code == 200 and response.content_type == "image/jpeg"
        assert response.data == (earlier / "earlier1.jpg").read_bytes()
    again = app.test_cli_runner().invoke(args=["media", "import", "--from", str(earlier)])
    assert "0 photos imported" in again.output


@pytest.mark.parametrize("name", ["../conftest.py", "missing.jpg"])
def test_media_outside_the_store_or_missing_is_404(client, name):
    assert client.get(f"/media/{name}").status_code == 404


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data",
                                 "https://tracker.example/pixel.gif", "javascript:alert(1)",
                                 "http://localhost.evil.example/media/x.jpg",
                                 "ftp://localhost/media/x.jpg"])
def test_media_url_elsewhere_than_the_allowed_hosts_is_400(client, api_key, jurisdiction, url):
    response = client.post("/open311/v2/requests.json",
                           data={**FORM, "api_key": api_key, "media_url": url})
    assert response.status_code == 400
    assert "media_url" in response.get_json()[0]["description"]


def test_media_url_on_this_servers_media_is_accepted(client, api_key, jurisdiction):
    response = client.post("/open311/v2/requests.json", data={
        **FORM, "api_key": api_key, "media_url": "http://localhost/media/earlier.jpg"})
    assert response.status_code == 200


def test_media_url_on_a_configured_host_is_accepted(app, client, api_key, jurisdiction):
    app.config["MEDIA_URL_HOSTS"] = "photos.city.example"
    try:
        response = client.post("/open311/v2/requests.json", data={
            **FORM, "api_key": api_key, "media_url": "https://photos.city.example/1.jpg"})
    finally:
        app.config["MEDIA_URL_HOSTS"] = ""
    assert response.status_code == 200


def test_a_sixth_photo_is_400_not_dropped(client, api_key, jurisdiction):
    photos = [(io.BytesIO(photo_with_gps()), f"p{i}.jpg") for i in range(6)]
    response = client.post("/open311/v2/requests.json", content_type="multipart/form-data",
                           data={**FORM, "api_key": api_key, "media": photos})
    assert response.status_code == 400
    assert "at most 5 photos" in response.get_json()[0]["description"]


def test_staff_media_urls_follow_the_same_rule(client, db_session, jurisdiction):
    response = client.post("/api/v1/staff/requests", headers=bearer(db_session, "agent"), json={
        "service_code": "POTHOLE", "channel": "phone", "attributes": {"SIZE": "L"},
        "lat": "42.045", "long": "-87.70", "media_urls": ["http://169.254.169.254/"]})
    assert response.status_code == 400
