"""Real documents and images for upload tests, made on the fly.

Resumes are real PDF (reportlab) and DOCX (python-docx) files, so the same parsers
the API uses in production read them here.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

DATA = Path(__file__).parent / "data"
FACE_JPEG = DATA / "obama_small.jpg"

RESUME_LINES = [
    "Ada Example - Senior Backend Engineer",
    "Experience: built payment APIs in Python and PostgreSQL for eight years.",
    "Led a team of five; introduced property-based testing.",
]
JOB_LINES = [
    "Backend Engineer (Python)",
    "You will design REST APIs, model data in PostgreSQL and run services on Linux.",
]


def pdf_bytes(lines: list[str], pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        y = 800
        for line in lines:
            pdf.drawString(60, y, f"{line}" if page == 0 else f"{line} (page {page + 1})")
            y -= 20
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    """A PDF with a page but no text at all (like a scanned document)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.rect(100, 100, 200, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf(lines: list[str]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(lines))))
    writer.encrypt(user_password="s3cret-user", owner_password="s3cret-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a word document")
    return buffer.getvalue()


def face_jpeg() -> bytes:
    return FACE_JPEG.read_bytes()


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.open(FACE_JPEG).convert("RGB").resize(size).save(buffer, format="PNG")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.open(FACE_JPEG).convert("P").save(buffer, format="GIF")
    return buffer.getvalue()
