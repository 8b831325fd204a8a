"""Printed forms embed their Japanese font (issue 11): Form 1 and Form 2, blank and filled in,
carry a subset TrueType font (FontFile2) and no font the reader would have to supply; every page
is numbered 「n / m」; a rejection is called 差戻し, as in the UI."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from kengen.applications.pdf import render_form1
from kengen.credentials.pdf import render_form2
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.pdf import REJECTED_WORD

pytestmark = [pytest.mark.django_db, pytest.mark.clause("F1")]


def fonts_of(data: bytes) -> list[dict[str, Any]]:
    """Every font resource of every page, resolved, with its descendant (Type0) font's descriptor."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object().get("/FontDescriptor")
            found.append(
                {
                    "name": str(font["/BaseFont"]),
                    "subtype": str(font["/Subtype"]),
                    "descriptor": descriptor.get_object() if descriptor is not None else None,
                }
            )
    return found


def assert_fonts_embedded(data: bytes) -> None:
    fonts = fonts_of(data)
    assert fonts
    for font in fonts:
        descriptor = font["descriptor"]
        assert descriptor is not None, f"{font['name']} has no descriptor (a standard/CID font)"
        assert "/FontFile2" in descriptor, f"{font['name']} is not embedded"
        assert font["subtype"] != "/Type0" or "/FontFile2" in descriptor
    names = {f["name"] for f in fonts}
    assert any("BIZUDMincho" in n for n in names) and any("BIZUDGothic" in n for n in names)
    assert not any("Heisei" in n for n in names)


def test_blank_forms_embed_the_japanese_font_and_number_their_pages():
    for data in (render_form1(None), render_form2(None)):
        assert_fonts_embedded(data)
        pages = PdfReader(io.BytesIO(data)).pages
        for n, page in enumerate(pages, start=1):
            assert f"{n} / {len(pages)}" in page.extract_text()


def test_the_administrators_box_has_the_stamp_boxes_and_the_ui_word_for_a_rejection():
    text = "".join(PdfReader(io.BytesIO(render_form1(None))).pages[-1].extract_text().split())
    assert "受付印" in text and "処理印" in text
    assert f"□{REJECTED_WORD}" in text and "却下" not in text
    assert str(WorkflowStatus.REJECTED.label) in ("Rejected", REJECTED_WORD)
