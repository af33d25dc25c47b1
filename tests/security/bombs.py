"""Hostile files made on the fly: PDF, DOCX and image decompression bombs.

Each is small on the wire and enormous (in pages, bytes or pixels) once opened, the
way a real attacker would build it; nothing here is a mock of the parsers, which read
these files exactly as they read a real resume.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from tests.api import documents


def _pdf(objects: list[bytes]) -> bytes:
    """A well-formed PDF (header, objects 1..n, xref table, trailer; root is object 1)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data, 9)
    return (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    )


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_with_pages(count: int) -> bytes:
    """``count`` pages that are one page object referenced ``count`` times (tiny file)."""
    kids = b" ".join([b"3 0 R"] * count)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(b"BT /F1 12 Tf 72 720 Td (Python developer) Tj ET"),
            _FONT,
        ]
    )


def pdf_with_huge_content(decompressed_bytes: int, pages: int = 1) -> bytes:
    """Pages sharing one content stream that inflates to ``decompressed_bytes`` of text
    operators (a real page's stream is a few kilobytes)."""
    unit = b"BT /F1 12 Tf 72 720 Td (Python developer with ten years) Tj ET\n"
    content = unit * (decompressed_bytes // len(unit))
    kids = b" ".join([b"3 0 R"] * pages)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content),
            _FONT,
        ]
    )


def docx_bomb(decompressed_bytes: int) -> bytes:
    """A real Word document whose ``word/document.xml`` is padded to inflate to
    ``decompressed_bytes`` (whitespace between XML elements compresses ~1000:1)."""
    real = documents.docx_bytes(documents.RESUME_LINES)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(real)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                head, tail = data.split(b"<w:body>", 1)
                data = head + b"<w:body>" + b" " * decompressed_bytes + tail
            bomb.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx_lying_about_its_size(decompressed_bytes: int) -> bytes:
    """A DOCX bomb whose zip directory claims ``document.xml`` is small: the declared
    sizes cannot be trusted, only the bytes actually inflated."""
    data = bytearray(docx_bomb(decompressed_bytes))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
        local_offset = info.header_offset
    # Patch the central directory entry's uncompressed size (and the local header's).
    position = 0
    while (position := bytes(data).find(b"PK\x01\x02", position)) != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        name = bytes(data[position + 46 : position + 46 + name_length])
        if name == b"word/document.xml":
            struct.pack_into("<I", data, position + 24, 2048)
        position += 4
    struct.pack_into("<I", data, local_offset + 22, 2048)
    return bytes(data)


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG of ``width`` x ``height`` black pixels (grey, 1 bit): a few kilobytes
    for hundreds of megapixels."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def flat_png(width: int, height: int, rgb: tuple[int, int, int] = (128, 128, 128)) -> bytes:
    """A valid 8-bit RGB PNG of one colour: about 1000:1 compressed, so a 6000x6600
    photo (119 MB once decoded) is 130 KB on the wire. Compressed row by row, so
    making it never holds the raw pixels."""
    row = b"\x00" + bytes(rgb) * width
    packer = zlib.compressobj(9)
    parts = [packer.compress(row) for _ in range(height)]
    parts.append(packer.flush())

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", b"".join(parts))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + idat + chunk(b"IEND", b"")
