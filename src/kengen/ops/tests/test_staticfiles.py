"""Static file URLs: hashed after ``collectstatic``, kept per name, and new after the next one."""

from __future__ import annotations

from kengen.ops.staticfiles import KengenStaticFilesStorage


def test_urls_are_hashed_after_collectstatic_and_renewed_by_the_next_one(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    storage = KengenStaticFilesStorage(location=settings.STATIC_ROOT)
    name = "kengen/kengen.css"
    assert storage.url(name) == f"{settings.STATIC_URL}{name}"  # nothing collected yet: plain name
    assert "_urls" not in storage.__dict__  # and not kept

    storage.hashed_files = {name: "kengen/kengen.0123456789ab.css"}
    assert storage.url(name) == f"{settings.STATIC_URL}kengen/kengen.0123456789ab.css"
    storage.hashed_files = {name: "kengen/kengen.ba9876543210.css"}  # kept until post_process
    assert storage.url(name) == f"{settings.STATIC_URL}kengen/kengen.0123456789ab.css"

    list(storage.post_process({}, dry_run=True))  # a collectstatic in this process
    storage.hashed_files = {name: "kengen/kengen.ba9876543210.css"}  # its new manifest
    assert storage.url(name) == f"{settings.STATIC_URL}kengen/kengen.ba9876543210.css"


def test_debug_urls_are_kept_apart(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    storage = KengenStaticFilesStorage(location=settings.STATIC_ROOT)
    storage.hashed_files = {"kengen/kengen.css": "kengen/kengen.0123456789ab.css"}
    settings.DEBUG = False
    hashed = storage.url("kengen/kengen.css")
    settings.DEBUG = True
    assert storage.url("kengen/kengen.css") != hashed
