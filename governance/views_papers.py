"""Pages of papers and minutes: the permission-checked download of a paper (anonymous visitors
included, for public papers), and the public register of papers and minutes."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from cernai.core import files

from . import papers


def paper_download(request: HttpRequest, pk: int) -> FileResponse:
    """A paper's file, for exactly those ``papers.readable_papers`` allows; 404 for everyone else
    (whether a restricted paper exists is itself restricted)."""
    paper = papers.readable_papers(request.user).filter(pk=pk).first()
    if paper is None:
        raise Http404(_("No such paper."))
    name = f"{paper.symbol.replace('/', '-')}-{paper.file.original_name}" if paper.symbol else paper.file.original_name
    response = FileResponse(
        files.open_file(paper.file), as_attachment=True, filename=name, content_type=paper.file.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300" if paper.classification == "public" else "private, no-store"
    return response


def register_documents(request: HttpRequest) -> HttpResponse:
    """Public papers and the public part of published minutes."""
    return render(
        request,
        "governance/register_documents.html",
        {"papers": papers.public_papers()[:200], "minutes": papers.published_minutes()[:100]},
    )


def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The public part of published minutes (the closed part is on the session page, for those entitled)."""
    minutes = get_object_or_404(papers.published_minutes(), pk=pk)
    return render(request, "governance/minutes_detail.html", {"minutes": minutes})
