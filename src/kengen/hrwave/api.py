"""The HR wave over the API (issue 12): column mappings, HR list imports, their preview (totals and
lines per person, paged in the database; Excel), progress, and apply / schedule / cancel.

The same services and rules as the pages at ``/hr/``: the personnel records officer (人事担当)
imports and changes; auditors read; anyone else gets 403 (and 404 for an object they may not
see). An import with errors is still created (``status = "invalid"``, with every error's row,
column and reason) and can never be applied; a file Kengen cannot read at all (too large, neither
CSV nor .xlsx) is refused with 422 and nothing is stored.
"""

import datetime as dt
from typing import Annotated, Literal, TypeVar

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from kengen.audit.models import AuditChainHead
from kengen.core.access import get_visible
from kengen.core.bounds import SINGLE_LINE, ApiDate, Id, InSchema, at_most, fits
from kengen.core.exceptions import PermissionDenied, RuleViolation
from kengen.core.exports import streaming_export_response
from kengen.core.paging import KeysetPagination, Listing
from kengen.hrwave.choices import DEFAULT_MAPPING, REQUIRED_FIELDS, WAVE_FIELDS
from kengen.hrwave.exports import preview_lines, preview_table, preview_totals
from kengen.hrwave.models import ColumnMapping, WaveImport, WaveLine
from kengen.hrwave.progress import progress_read
from kengen.hrwave.reader import MAX_BYTES
from kengen.hrwave.services import (
    column_mapping_delete,
    column_mapping_save,
    wave_apply,
    wave_cancel,
    wave_import,
    wave_preview_is_current,
    wave_refresh,
    wave_schedule,
)
from kengen.roles.selectors import scope_for

router = Router()
_M = TypeVar("_M", WaveImport, ColumnMapping)

#: Errors returned with an import; the rest are paged at ``/imports/{id}/errors``.
ERRORS_SHOWN = 100

Header = Annotated[str, at_most(100), SINGLE_LINE]
FieldName = Annotated[str, at_most(40, min_length=1), SINGLE_LINE]
Fingerprint = Annotated[str, at_most(64), SINGLE_LINE]
LineFilter = Literal["hire", "move", "end", "appointment", "consequences"]


class HrFieldOut(Schema):
    name: str
    required: bool
    default_header: str


class HrMappingOut(Schema):
    id: int
    name: str
    columns: dict[str, str]
    updated_at: dt.datetime


class HrMappingIn(InSchema):
    name: Annotated[str, fits(ColumnMapping, "name", min_length=1), SINGLE_LINE]
    #: wave field → the header text of the column that holds it (``GET /hr/fields``)
    columns: Annotated[dict[FieldName, Header], Field(min_length=1, max_length=len(WAVE_FIELDS))]


class HrRowErrorOut(Schema):
    row: int
    column: str
    message: str


class HrImportOut(Schema):
    id: int
    file_name: str
    sha256: str
    encoding: str
    mapping: int | None
    effective_on: dt.date
    status: str
    row_count: int
    error_count: int
    errors: list[HrRowErrorOut] = Field(description=f"the first {ERRORS_SHOWN}; all at …/errors")
    fingerprint: str
    preview_current: bool
    created_at: dt.datetime
    created_by: str
    applied_at: dt.datetime | None
    result: dict[str, int]
    error: str


class HrErrorPageOut(Schema):
    count: int
    items: list[HrRowErrorOut]


class HrTotalOut(Schema):
    category: str
    label: str
    count: int


class HrPreviewOut(Schema):
    id: int
    status: str
    effective_on: dt.date
    fingerprint: str
    preview_current: bool
    totals: list[HrTotalOut]


class HrLineOut(Schema):
    row: int
    staff_number: str
    name: str
    action: str
    effective_on: dt.date
    before: str
    after: str
    consequences: list[str]
    already_done: bool


class HrProgressOut(Schema):
    phase: str
    done: int
    total: int


class HrConfirmIn(InSchema):
    #: the preview's fingerprint; refused with 409 if the consequences changed since
    expected: Fingerprint | None = None


class HrUploadIn(InSchema):
    effective_on: ApiDate
    mapping: Id | None = None


# --- helpers ----------------------------------------------------------------------------------


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _require_reader(user) -> None:
    scope = scope_for(user)
    if not (scope.is_personnel or scope.sees_everything):
        raise PermissionDenied(_("Only the personnel records officer and auditors see HR lists."))


def _require_writer(user) -> None:
    if not scope_for(user).is_personnel:
        raise PermissionDenied(_("Only the personnel records officer (人事担当) can change HR lists."))


def _visible(request, model: type[_M], pk: int, *, write: bool) -> _M:
    """The object if the caller may read it (or change it, with ``write``): 403 without the
    role, as on the pages; 404 for an object they may not see."""
    (_require_writer if write else _require_reader)(request.auth)
    return get_visible(
        model, request.auth, action="change" if write else "view", pk=pk, ip_address=_ip(request)
    )


def _wave(request, import_id: int, *, write: bool = False) -> WaveImport:
    return _visible(request, WaveImport, import_id, write=write)


def _mapping(request, mapping_id: int, *, write: bool = False) -> ColumnMapping:
    return _visible(request, ColumnMapping, mapping_id, write=write)


def _mapping_out(m: ColumnMapping) -> HrMappingOut:
    return HrMappingOut(id=m.pk, name=m.name, columns=dict(m.columns), updated_at=m.updated_at)


def _import_out(w: WaveImport, *, head_seq: int | None = None) -> HrImportOut:
    """``head_seq``: the audit chain head, read once for a whole page (else read here)."""
    author = w.created_by
    return HrImportOut(
        id=w.pk,
        file_name=w.file_name,
        sha256=w.content_sha256,
        encoding=w.encoding,
        mapping=w.mapping_id,
        effective_on=w.effective_on,
        status=w.status,
        row_count=w.row_count,
        error_count=len(w.errors),
        errors=[HrRowErrorOut(**e) for e in w.errors[:ERRORS_SHOWN]],
        fingerprint=w.fingerprint,
        preview_current=(
            wave_preview_is_current(w)
            if head_seq is None
            else w.computed_at_seq is not None and w.computed_at_seq == head_seq
        ),
        created_at=w.created_at,
        created_by=author.username if author is not None else "",
        applied_at=w.applied_at,
        result={k: int(v) for k, v in (w.result or {}).items()},
        error=w.error,
    )


#: What a listed import shows (``only``: a list never reads an import's normalized rows).
_LISTED = (
    "id",
    "file_name",
    "content_sha256",
    "encoding",
    "mapping",
    "effective_on",
    "status",
    "row_count",
    "errors",
    "fingerprint",
    "computed_at_seq",
    "created_at",
    "created_by",
    "applied_at",
    "result",
    "error",
)


def _line_out(line: WaveLine) -> HrLineOut:
    return HrLineOut(
        row=line.row_no,
        staff_number=line.staff_number,
        name=line.name,
        action=line.action,
        effective_on=line.effective_on,
        before=line.before,
        after=line.after,
        consequences=[c for c in line.consequences.split("\n") if c],
        already_done=line.already_done,
    )


# --- column mappings --------------------------------------------------------------------------


@router.get(
    "/fields", response=list[HrFieldOut], summary="The fields a column mapping maps, with default headers"
)
def list_fields(request):
    _require_reader(request.auth)
    return [
        HrFieldOut(name=name, required=name in REQUIRED_FIELDS, default_header=DEFAULT_MAPPING.get(name, ""))
        for name, _label in WAVE_FIELDS
    ]


@router.get("/mappings", response=list[HrMappingOut], summary="Saved column mappings")
@paginate(KeysetPagination)
def list_mappings(request):
    _require_reader(request.auth)
    qs = ColumnMapping.objects.restrict(request.auth, "view")
    return Listing(qs, ["name", "pk"], to_out=lambda page: [_mapping_out(m) for m in page])


@router.post("/mappings", response={201: HrMappingOut}, summary="Save a column mapping (人事担当)")
def create_mapping(request, body: HrMappingIn):
    _require_writer(request.auth)
    saved = column_mapping_save(actor=request.auth, name=body.name, columns=body.columns)
    return Status(201, _mapping_out(saved))


@router.get("/mappings/{int:mapping_id}", response=HrMappingOut, summary="A column mapping")
def get_mapping(request, mapping_id: Id):
    return _mapping_out(_mapping(request, mapping_id))


@router.put("/mappings/{int:mapping_id}", response=HrMappingOut, summary="Change a column mapping (人事担当)")
def update_mapping(request, mapping_id: Id, body: HrMappingIn):
    mapping = _mapping(request, mapping_id, write=True)
    saved = column_mapping_save(actor=request.auth, name=body.name, columns=body.columns, mapping=mapping)
    return _mapping_out(saved)


@router.delete(
    "/mappings/{int:mapping_id}",
    response={204: None},
    summary="Delete a column mapping no list was imported with (人事担当)",
)
def delete_mapping(request, mapping_id: Id):
    column_mapping_delete(actor=request.auth, mapping=_mapping(request, mapping_id, write=True))
    return Status(204, None)


# --- imports ----------------------------------------------------------------------------------


@router.get("/imports", response=list[HrImportOut], summary="Imported HR lists, newest first")
@paginate(KeysetPagination)
def list_imports(request):
    _require_reader(request.auth)
    qs = (
        WaveImport.objects.restrict(request.auth, "view")
        .select_related("created_by")
        .only(*_LISTED, "created_by__username")  # never the (large) normalized rows
    )

    def out(page: list[WaveImport]) -> list[HrImportOut]:
        head = AuditChainHead.objects.filter(id=1).values_list("last_seq", flat=True).first() or 0
        return [_import_out(w, head_seq=head) for w in page]

    return Listing(qs, ["-pk"], to_out=out)


@router.post(
    "/imports",
    response={201: HrImportOut},
    summary="Upload an HR list (multipart: file, effective_on, mapping): validated and previewed",
)
def create_import(request, file: File[UploadedFile], details: Form[HrUploadIn]):
    _require_writer(request.auth)
    mapping = None
    if details.mapping is not None:
        mapping = ColumnMapping.objects.restrict(request.auth, "view").filter(pk=details.mapping).first()
        if mapping is None:
            raise RuleViolation(_("No such column mapping."), field="mapping")
    data = file.read(MAX_BYTES + 1)  # one byte past the limit is enough to refuse
    wave = wave_import(
        actor=request.auth,
        data=data,
        file_name=file.name or "upload",
        effective_on=details.effective_on,
        mapping=mapping,
    )
    return Status(201, _import_out(wave))


@router.get("/imports/{int:import_id}", response=HrImportOut, summary="An imported HR list and its status")
def get_import(request, import_id: Id):
    return _import_out(_wave(request, import_id))


@router.get(
    "/imports/{int:import_id}/errors",
    response=HrErrorPageOut,
    summary="Every validation error of an import (row, column, reason), paged",
)
def list_errors(
    request,
    import_id: Id,
    offset: Annotated[int, Field(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Field(ge=1, le=1000)] = 100,
):
    wave = _wave(request, import_id)
    return HrErrorPageOut(
        count=len(wave.errors),
        items=[HrRowErrorOut(**e) for e in wave.errors[offset : offset + limit]],
    )


@router.get(
    "/imports/{int:import_id}/progress",
    response=HrProgressOut,
    summary="Progress of a running import or apply (phase, done, total)",
)
def get_progress(request, import_id: Id):
    wave = _wave(request, import_id)
    data = progress_read(f"wave-{wave.pk}")
    return HrProgressOut(
        phase=str(data.get("phase", "")), done=int(data.get("done", 0)), total=int(data.get("total", 0))
    )


@router.get(
    "/imports/{int:import_id}/preview",
    response=HrPreviewOut,
    summary="The consequences on the effective date, in totals per category",
)
def get_preview(request, import_id: Id):
    wave = _wave(request, import_id)
    return HrPreviewOut(
        id=wave.pk,
        status=wave.status,
        effective_on=wave.effective_on,
        fingerprint=wave.fingerprint,
        preview_current=wave_preview_is_current(wave),
        totals=[HrTotalOut(category=k, label=label, count=n) for k, label, n in preview_totals(wave)],
    )


@router.get(
    "/imports/{int:import_id}/lines",
    response=list[HrLineOut],
    summary="The preview per person, in file order (show: an action, or lines with consequences)",
)
@paginate(KeysetPagination)
def list_lines(request, import_id: Id, show: LineFilter | None = None):
    wave = _wave(request, import_id)
    return Listing(
        preview_lines(request.auth, wave, show or ""),
        ["row_no", "pk"],
        to_out=lambda page: [_line_out(line) for line in page],
    )


@router.get(
    "/imports/{int:import_id}/preview.xlsx", summary="The preview as Excel (totals, then one line per person)"
)
def preview_xlsx(request, import_id: Id):
    wave = _wave(request, import_id)
    return streaming_export_response(preview_table(request.auth, wave), "xlsx", f"hr-preview-{wave.pk}")


@router.post(
    "/imports/{int:import_id}/apply",
    response=HrImportOut,
    summary="Apply a previewed list now, in one transaction (409 if the consequences changed)",
)
def apply_import(request, import_id: Id, body: HrConfirmIn):
    wave = _wave(request, import_id, write=True)
    wave_apply(actor=request.auth, wave=wave, expected=body.expected or None)
    return _import_out(WaveImport.objects.get(pk=wave.pk))


@router.post(
    "/imports/{int:import_id}/schedule",
    response=HrImportOut,
    summary="Leave a previewed list to kengen run-due on its effective date",
)
def schedule_import(request, import_id: Id, body: HrConfirmIn):
    wave = _wave(request, import_id, write=True)
    return _import_out(wave_schedule(actor=request.auth, wave=wave, expected=body.expected or None))


@router.post(
    "/imports/{int:import_id}/cancel", response=HrImportOut, summary="Cancel a previewed or scheduled list"
)
def cancel_import(request, import_id: Id):
    wave = _wave(request, import_id, write=True)
    return _import_out(wave_cancel(actor=request.auth, wave=wave))


@router.post(
    "/imports/{int:import_id}/refresh",
    response=HrImportOut,
    summary="Compute the preview again from today's records",
)
def refresh_import(request, import_id: Id):
    wave = _wave(request, import_id, write=True)
    return _import_out(wave_refresh(actor=request.auth, wave=wave))
