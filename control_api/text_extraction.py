"""Text of resumes and job descriptions, from PDF (pypdf), DOCX (python-docx) or text.

The type is decided by the file's content (magic bytes and structure), never by its
name alone: a renamed executable is refused, a PDF called ``cv.txt`` is read as a
PDF. Every refusal says what the uploader should do instead.

Both formats are compressed containers, so a small upload can inflate into gigabytes
(a "bomb"). The limits below bound what is actually inflated and parsed, never what
the file declares: a PDF's content streams are capped per stream, in total, in
parsing work and in time; a DOCX's parts are inflated in chunks and counted.
A real resume is far below every limit (a text page is a few kilobytes of content).
"""

from __future__ import annotations

import io
import logging
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import docx
import pypdf
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

logger = logging.getLogger(__name__)

# A DOCX is a zip: refuse archives that inflate beyond these (zip bombs). Images
# inside a DOCX barely compress; its XML parts are what an attacker pads.
MAX_DOCX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_DOCX_XML_PART_BYTES = 10 * 1024 * 1024
_ZIP_CHUNK = 1024 * 1024
# PDF bombs: one page's content stream, all pages together, parsing work per stream
# (operands and operators, pypdf's own budget) and wall time for the whole document.
MAX_PDF_STREAM_BYTES = 512 * 1024
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
MAX_PDF_PARSING_WORK = 100_000
PDF_TIME_BUDGET_SECONDS = 5.0
_PDF_LIMITS = pypdf.Configuration().with_overwrites(
    zlib_maximum_output_length=MAX_PDF_STREAM_BYTES,
    lzw_maximum_output_length=MAX_PDF_STREAM_BYTES,
    run_length_maximum_output_length=MAX_PDF_STREAM_BYTES,
    brotli_maximum_output_length=MAX_PDF_STREAM_BYTES,
    array_based_stream_maximum_output_length=MAX_PDF_STREAM_BYTES,
    stream_parsing_work_maximum_count=MAX_PDF_PARSING_WORK,
    stream_decoding_work_maximum_length=4 * MAX_PDF_STREAM_BYTES,
)
_PDF_TOO_BIG = "the PDF expands to more data than allowed: upload a simpler PDF or a .docx"
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
        with pypdf.apply_configuration(_PDF_LIMITS):
            return _read_pdf(data, max_pages)
    except UnreadableDocument:
        raise
    except FileNotDecryptedError as exc:
        raise UnreadableDocument(
            "the PDF is password-protected: upload a copy without a password"
        ) from exc
    except LimitReachedError as exc:
        raise UnreadableDocument(_PDF_TOO_BIG) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        logger.info("PDF could not be parsed: %s", type(exc).__name__)
        raise UnreadableDocument(
            "the PDF could not be read (damaged or incomplete): "
            "export it again, or upload a .docx or .txt file"
        ) from exc


def _read_pdf(data: bytes, max_pages: int) -> str:
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
    deadline = time.monotonic() + PDF_TIME_BUDGET_SECONDS
    content_bytes = 0
    parts: list[str] = []
    for page in reader.pages:
        contents = page.get_contents()
        content_bytes += len(contents.get_data()) if contents is not None else 0
        if content_bytes > MAX_PDF_CONTENT_BYTES:
            raise UnreadableDocument(_PDF_TOO_BIG)
        parts.append(page.extract_text() or "")
        if time.monotonic() > deadline:
            raise UnreadableDocument(
                "the PDF takes too long to read (very complex pages): "
                "upload a simpler PDF or a .docx"
            )
    return "\n".join(parts)


_DOCX_TOO_BIG = "the Word document expands to more data than allowed: upload a smaller file"


def _check_docx_size(data: bytes) -> None:
    """Refuse a zip bomb before python-docx inflates it whole.

    The sizes a zip declares are checked first (cheap), then every part is inflated
    in chunks and counted, because the declared sizes can lie.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if sum(info.file_size for info in members) > MAX_DOCX_UNCOMPRESSED_BYTES:
            raise UnreadableDocument(_DOCX_TOO_BIG)
        total = 0
        for info in members:
            part_limit = (
                MAX_DOCX_XML_PART_BYTES
                if info.filename.endswith((".xml", ".rels"))
                else MAX_DOCX_UNCOMPRESSED_BYTES
            )
            part = 0
            for size in _inflated_chunk_sizes(archive, info):
                part += size
                total += size
                if part > part_limit or total > MAX_DOCX_UNCOMPRESSED_BYTES:
                    raise UnreadableDocument(_DOCX_TOO_BIG)


def _inflated_chunk_sizes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[int]:
    with archive.open(info) as member:
        while chunk := member.read(_ZIP_CHUNK):
            yield len(chunk)


def _docx_text(data: bytes) -> str:
    try:
        _check_docx_size(data)
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
