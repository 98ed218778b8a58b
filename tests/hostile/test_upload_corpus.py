"""The hostile corpus of uploads at the photo question (and one at a text question), over real HTTP:
no 500, a refusal in the error shape, and a photo that is taken is a clean re-encoded image."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from tests.engine.transcript import COMPLETE
from tests.hostile import api
from tests.hostile.checks import answered, asked, clean_strings, error_shape, store_of, stored_clean
from tests.hostile.corpus import FILENAMES, Upload, chunks, jpeg, uploads
from tests.hostile.server import serve, settings

Served = tuple[FastAPI, httpx.Client]
UPLOADS = uploads()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data: Path = tmp_path_factory.mktemp("hostile-uploads") / "data"
    with serve(settings(data)) as pair:
        yield pair


@pytest.fixture(scope="module")
def at_photo(served: Served) -> str:
    _, client = served
    token = api.start(client)
    api.say(client, token, *COMPLETE[:-1])
    return token


def after(app: FastAPI, client: httpx.Client, token: str) -> dict[str, Any]:
    response = api.load(client, token)
    assert response.status_code == 200, response.text[:300]
    body: dict[str, Any] = response.json()
    clean_strings(body["transcript"])
    app_id = store_of(app).app_for_token(token)
    assert app_id is not None
    stored_clean(store_of(app), app_id, last_events=3)
    return body


@pytest.mark.parametrize("case", list(UPLOADS.values()), ids=list(UPLOADS))
def test_upload(served: Served, at_photo: str, case: Upload) -> None:
    app, client = served
    response = api.upload(client, at_photo, case.data, case.headers)
    answered(response)
    if not case.accepted:
        assert response.status_code in (413, 415), response.status_code
        assert asked(after(app, client, at_photo)) == "photo"
        return
    assert response.status_code == 200, response.text[:300]
    store = store_of(app)
    app_id = store.app_for_token(at_photo)
    assert app_id is not None
    found = store.get(app_id)
    assert found is not None
    photo = found.state["answers"]["photo"]
    kept = store.get_file(photo["ref"], app_id)
    assert kept is not None
    data, mime = kept
    assert mime in ("image/jpeg", "image/png")
    Image.open(io.BytesIO(data)).verify()  # a whole image, re-encoded:
    for trace in (b"PK\x03\x04", b"<script", b"Evil Camera", b"Exif"):
        assert trace not in data, trace
    answered(api.send(client, at_photo, {"command": "back"}))  # back to the photo question
    assert asked(after(app, client, at_photo)) == "photo"


@pytest.mark.parametrize("name", list(FILENAMES.values()), ids=list(FILENAMES))
def test_filename_header(served: Served, at_photo: str, name: str | bytes) -> None:
    """A refused upload (so the question stays) with a hostile X-Filename: the name is logged clean."""
    app, client = served
    response = api.upload(client, at_photo, b"\xff\xd8\xff truncated", {"X-Filename": name})
    error_shape(response)
    body = after(app, client, at_photo)
    said = [t["text"] for t in body["transcript"] if t["who"] == "user"][-1]
    assert said.startswith("［上传：") and len(said) <= 110, said[:200]


def test_chunked_upload_over_10_mb_stops_at_the_limit(served: Served, at_photo: str) -> None:
    app, client = served
    response = api.upload(client, at_photo, chunks(11 * 1024 * 1024, fill=b"\x00"))
    assert error_shape(response)["error"].startswith("文件太大")
    assert response.status_code == 413
    after(app, client, at_photo)


def test_upload_at_a_text_question(served: Served) -> None:
    app, client = served
    token = api.start(client)
    answered(api.upload(client, token, jpeg()))
    assert asked(after(app, client, token)) == "series"
