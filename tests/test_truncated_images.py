"""A truncated photo is refused whatever else the process has imported.

``face_recognition`` (imported by the original method, which the benchmarks and their
tests load) sets Pillow's process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES = True`` at
import; a damaged baseline photo then decoded silently as half a picture, in any test
run (or worker) that had imported it first.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from proctoring.imaging import UndecodableImage, image_to_rgb

FACE = Path(__file__).parent / "data" / "faces" / "biden_full_length.jpg"


@pytest.mark.integration  # a fresh interpreter (subprocess), no server
def test_importing_the_original_method_leaves_pillow_strict() -> None:
    # a fresh interpreter: this one may already have imported it
    code = (
        "from PIL import ImageFile\n"
        "import proctoring.face.original_method\n"
        "print(ImageFile.LOAD_TRUNCATED_IMAGES)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "False"


def test_a_truncated_photo_is_refused_even_if_pillow_was_made_lenient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.BytesIO()
    Image.open(FACE).convert("RGB").save(buffer, format="JPEG")
    data = buffer.getvalue()
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(UndecodableImage):
        image_to_rgb(data[: len(data) // 2])
