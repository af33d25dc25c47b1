"""The direction of imports between the packages (docs/architecture.md), checked on the
source: a module that imports across a forbidden line fails this test with its name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"agent", "contracts", "control_api", "proctoring", "proctorai", "tests"}
ALLOWED: dict[str, set[str]] = {
    "proctoring": {"contracts"},
    "contracts": set(),
    "agent": {"proctoring", "contracts"},
    "control_api": {"proctoring", "contracts"},
    "proctorai": {"proctoring", "contracts", "agent", "control_api"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):  # also imports inside functions: they count the same
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_what_it_may(package: str) -> None:
    crossings = {
        str(path.relative_to(ROOT)): sorted(imported - ALLOWED[package] - {package})
        for path in sorted((ROOT / package).rglob("*.py"))
        if (imported := _imported_packages(path)) - ALLOWED[package] - {package}
    }
    assert crossings == {}, f"{package} may import only {sorted(ALLOWED[package])}"


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("def f():\n    from control_api.settings import Settings\n")
    assert _imported_packages(module) == {"control_api"}
