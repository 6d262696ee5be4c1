"""Excel import and export pages: thin — parse the request, check access, call the import/export code, render.

Importing needs the whole compound in scope (a grid worker's or a building's role does not cover it) and the
``import_register`` permission; exporting needs ``export_register`` and holds only what the scope reaches. The scope
is checked first: a compound out of reach answers 404 whatever the role (docs/permissions.md).
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.accounts.permissions import EXPORT_REGISTER, IMPORT_REGISTER, VIEW_REGISTER, has_perm
from linli.core.scope import in_scope
from linli.places import exports, selectors
from linli.places.imports import import_start, too_big_message
from linli.places.models import ImportJob, ImportKind, Place

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=ImportKind.choices)
    file = forms.FileField(label=_("Excel file (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.LINLI_IMPORT_MAX_BYTES:  # checked before anything is saved
            raise forms.ValidationError(too_big_message(upload.size))
        return upload


def _kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise Http404
    return kind


def _need(user, permission: str) -> None:
    if not has_perm(user, permission):
        raise PermissionDenied


def _compound_to_import(user, pk: int) -> Place:
    """The compound, if the user's scope covers all of it (404 otherwise, the same answer as for a missing one) and
    the user may import (403)."""
    compound = selectors.get_compound_for_user(user=user, pk=pk)
    if not in_scope(user, compound.path):
        raise Http404
    _need(user, IMPORT_REGISTER)
    return compound


@login_required
def import_start_view(request, pk: int):
    compound = _compound_to_import(request.user, pk)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            job = import_start(actor=request.user, compound=compound, kind=form.cleaned_data["kind"],
                               upload=form.cleaned_data["file"], language=request.LANGUAGE_CODE)
            return redirect("places:import_job", pk=job.pk)
        status = 400
    else:
        form = ImportForm(initial={"kind": request.GET.get("kind", ImportKind.RESIDENTS)})
        status = 200
    return render(request, "places/import.html", {
        "compound": compound,
        "form": form,
        "kinds": ImportKind.choices,
        "may_export": has_perm(request.user, EXPORT_REGISTER),
        "jobs": ImportJob.objects.filter(compound=compound).select_related("created_by")[:10],
        "max_rows": settings.LINLI_IMPORT_MAX_ROWS,
        "max_bytes": settings.LINLI_IMPORT_MAX_BYTES,
    }, status=status)


@login_required
def import_job(request, pk: int):
    job = ImportJob.objects.select_related("compound", "created_by").filter(pk=pk).first()
    if job is None or not in_scope(request.user, job.compound.path):
        raise Http404
    _need(request.user, IMPORT_REGISTER)  # the report quotes the rows of the file
    context = {"job": job, "compound": job.compound}
    if request.htmx:
        return render(request, "places/import_job.html#progress", context)
    return render(request, "places/import_job.html", context)


@login_required
def import_template(request, kind: str):
    kind = _kind(kind)
    _need(request.user, VIEW_REGISTER)
    response = HttpResponse(exports.template_workbook(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="linli-{kind}-template.xlsx"'
    return response


@login_required
def export(request, pk: int, kind: str):
    compound = selectors.get_compound_for_user(user=request.user, pk=pk)
    kind = _kind(kind)
    _need(request.user, EXPORT_REGISTER)  # personal data leaving Linli in bulk: the register's desk only
    out, _count = exports.export_register(user=request.user, compound=compound, kind=kind)
    filename = f"{compound.code}-{kind}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX)
