"""Text of resumes and job descriptions, from PDF (pypdf), DOCX (python-docx) or text.

The type is decided by the file's content (magic bytes and structure), never by its
name alone: a renamed executable is refused, a PDF called ``cv.txt`` is read as a
PDF. Every refusal says what the uploader should do instead.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from enum import StrEnum

import docx
import pypdf
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

logger = logging.getLogger(__name__)

# A DOCX is a zip; refuse archives that would inflate beyond this (zip bombs).
MAX_DOCX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
_TEXT_ENCODINGS = ("utf-8-sig", "utf-16")


class DocumentType(StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    TEXT = "text"


class UnsupportedDocument(Exception):
    """The file is not a PDF, DOCX or plain text file."""


class UnreadableDocument(Exception):
    """The file has the right type but no usable text could be read from it."""


@dataclass(frozen=True)
class ExtractedText:
    text: str
    document_type: DocumentType


def detect_document_type(data: bytes) -> DocumentType:
    """Decide the type from the bytes themselves."""
    head = data[:1024]
    if head.lstrip(b"\r\n\t ").startswith(b"%PDF-"):
        return DocumentType.PDF
    if head.startswith(b"PK\x03\x04"):
        if _is_docx(data):
            return DocumentType.DOCX
        raise UnsupportedDocument(
            "this is a zip archive but not a Word document: upload a PDF, DOCX or .txt file"
        )
    if _decode_text(data) is not None:
        return DocumentType.TEXT
    raise UnsupportedDocument(
        "unsupported file type: upload a PDF, a Word document (.docx) or a plain text file"
    )


def extract_text(data: bytes, *, max_chars: int, max_pdf_pages: int) -> ExtractedText:
    """The normalised text of a document, or an exception saying what to fix."""
    if not data:
        raise UnreadableDocument("the file is empty: upload a file with text in it")
    kind = detect_document_type(data)
    if kind is DocumentType.PDF:
        text = _pdf_text(data, max_pdf_pages)
    elif kind is DocumentType.DOCX:
        text = _docx_text(data)
    else:
        text = _decode_text(data) or ""
    text = normalise_text(text)
    if not text:
        hint = (
            " (a scanned PDF holds images, not text: export it with text or upload a .docx)"
            if kind is DocumentType.PDF
            else ""
        )
        raise UnreadableDocument(f"no text could be read from the {kind.value} file{hint}")
    if len(text) > max_chars:
        raise UnreadableDocument(
            f"the document is too long ({len(text)} characters; at most {max_chars}): "
            "upload a shorter version"
        )
    return ExtractedText(text=text, document_type=kind)


def normalise_text(text: str) -> str:
    """Trim each line, drop NULs and collapse runs of blank lines."""
    lines = [line.rstrip() for line in text.replace("\x00", "").splitlines()]
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _decode_text(data: bytes) -> str | None:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # binary, not text (UTF-16 text starts with its BOM)
    for encoding in _TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text[:4096])
        if printable >= 0.95 * min(len(text), 4096):
            return text
    return None


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _pdf_text(data: bytes, max_pages: int) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")  # many "protected" PDFs have an empty user password
            except Exception as exc:
                raise UnreadableDocument(
                    "the PDF is password-protected: upload a copy without a password"
                ) from exc
        if len(reader.pages) > max_pages:
            raise UnreadableDocument(
                f"the PDF has {len(reader.pages)} pages (at most {max_pages}): "
                "upload a shorter document"
            )
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except UnreadableDocument:
        raise
    except FileNotDecryptedError as exc:
        raise UnreadableDocument(
            "the PDF is password-protected: upload a copy without a password"
        ) from exc
    except LimitReachedError as exc:
        raise UnreadableDocument(
            "the PDF expands to more data than allowed: upload a simpler PDF or a .docx"
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        logger.info("PDF could not be parsed: %s", type(exc).__name__)
        raise UnreadableDocument(
            "the PDF could not be read (damaged or incomplete): "
            "export it again, or upload a .docx or .txt file"
        ) from exc


def _docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_DOCX_UNCOMPRESSED_BYTES:
                raise UnreadableDocument(
                    "the Word document expands to more data than allowed: upload a smaller file"
                )
        document = docx.Document(io.BytesIO(data))
    except UnreadableDocument:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableDocument(
            "the Word document could not be read (damaged): save it again or upload a PDF"
        ) from exc
    except Exception as exc:  # python-docx raises several internal types on bad XML
        logger.info("DOCX could not be parsed: %s", type(exc).__name__)
        raise UnreadableDocument(
            "the Word document could not be read (damaged): save it again or upload a PDF"
        ) from exc
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)
