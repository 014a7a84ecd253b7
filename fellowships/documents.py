"""Documents shown to blind reviewers (rules.md §2): a PDF rewritten without what names its author.

The pages are copied into a new file, so nothing of the original's catalogue comes along (its XMP
``/Metadata`` stream, embedded files, forms, JavaScript); the document information (``/Author``,
``/Creator``, ``/Producer``, ``/Title``…) is dropped, and so are each page's own metadata and
annotations (a comment's ``/T`` is its author's name). The content itself is the applicant's to
anonymise: the application form tells them so.
"""

from __future__ import annotations

import io
from typing import BinaryIO

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import NameObject

PAGE_KEYS_DROPPED = ("/Metadata", "/PieceInfo", "/Annots")


class UncleanablePdf(Exception):
    """The file cannot be read as a PDF, so it cannot be cleaned: it must not be served blind."""


def without_metadata(source: BinaryIO) -> bytes:
    """The PDF's pages in a new file with no document information, XMP or page metadata."""
    try:
        reader = PdfReader(source)
        writer = PdfWriter()
        for page in reader.pages:
            added = writer.add_page(page)
            for key in PAGE_KEYS_DROPPED:
                added.pop(NameObject(key), None)
        writer.metadata = None  # also drops the /Producer that pypdf would write
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UncleanablePdf(str(exc)) from exc
    return out.getvalue()
