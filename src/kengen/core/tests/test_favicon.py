"""/favicon.ico is served (browsers ask for it on every site; it was a 404 in every log)."""

import pytest
from PIL import Image


@pytest.mark.django_db
def test_favicon_is_served_without_sign_in_and_is_an_icon(client):
    import io

    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    body = b"".join(response.streaming_content)
    icon = Image.open(io.BytesIO(body))
    assert icon.format == "ICO"
    assert (32, 32) in icon.info["sizes"]


@pytest.mark.django_db
def test_pages_link_the_icon(client):
    body = client.get("/login/").content.decode()
    assert 'rel="icon"' in body and "favicon.ico" in body
