"""A refused form (CSRF) gets Kengen's own page in Japanese, not Django's bare one (issue 11)."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_csrf_failure_is_a_styled_japanese_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'lang="ja"' in html and "kengen.css" in html
    assert "CSRF verification failed" not in html
