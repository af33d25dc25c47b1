"""The rule of tests/categories.py: every test is unit, integration or e2e, from its fixtures.

Each case collects a small temporary suite (pytester, in this process) whose conftest uses
the real hooks with stand-in server fixtures that start nothing.
"""

from __future__ import annotations

import pytest

CONFTEST = """
import pytest

from tests.categories import (
    pytest_collection_modifyitems,
    pytest_fixture_setup,
    pytest_runtest_setup,
)


def pytest_configure(config):
    for name in ("unit", "integration", "e2e"):
        config.addinivalue_line("markers", f"{name}: category")


@pytest.fixture(scope="session")
def livekit_server():
    return "a stand-in: starts nothing"


@pytest.fixture
def api(livekit_server):
    return "served on the stand-in"


@pytest.fixture
def browser(api):
    return "a stand-in browser"
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def selected(suite: pytest.Pytester, expression: str) -> set[str]:
    result = suite.runpytest("--collect-only", "-q", "-m", expression)
    ok = (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    assert result.ret in ok, result.stdout.str() + result.stderr.str()
    return {line.split("::")[1] for line in result.stdout.lines if "::" in line}


def test_the_category_comes_from_the_fixtures(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_mixed="""
        import pytest

        def test_pure():
            assert 1 + 1 == 2

        def test_on_the_api(api):
            pass

        def test_in_the_browser(browser):
            pass

        @pytest.mark.e2e
        def test_raised_where_fixtures_cannot_tell(api):
            pass
        """
    )
    assert selected(suite, "unit") == {"test_pure"}
    assert selected(suite, "integration") == {"test_on_the_api"}
    assert selected(suite, "e2e") == {
        "test_in_the_browser",
        "test_raised_where_fixtures_cannot_tell",
    }
    assert selected(suite, "not unit and not integration and not e2e") == set()


def test_a_unit_mark_on_a_test_using_the_api_fails_collection(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_wrongly_unit="""
        import pytest

        pytestmark = pytest.mark.unit

        def test_on_the_api(api):
            pass
        """
    )
    result = suite.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*Every test must be unit, integration or e2e*",
            "*test_wrongly_unit.py:",
            "*test_on_the_api is marked unit but needs integration: "
            "its fixtures livekit_server (integration). Remove the mark*",
        ]
    )


def test_a_process_started_in_the_body_needs_a_category(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_starts_a_process="""
        import subprocess
        import sys

        def test_runs_a_child():
            subprocess.run([sys.executable, "-c", "pass"], check=True)
        """
    )
    result = suite.runpytest("--collect-only", "-q", "-m", "unit")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*test_starts_a_process.py:",
            "*test_runs_a_child has no category: no fixture that starts a server (so unit), "
            "but its body starts subprocess.run. Say what it needs: "
            "pytestmark = pytest.mark.integration in the module*",
        ]
    )


def test_two_category_marks_are_a_contradiction(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_twice="""
        import pytest

        pytestmark = pytest.mark.integration

        @pytest.mark.e2e
        def test_both():
            pass
        """
    )
    result = suite.runpytest("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_both is marked e2e and integration: keep one*"])


def test_a_unit_test_reaching_a_server_at_run_time_fails(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_sneaky="""
        def test_asks_late(request):
            request.getfixturevalue("livekit_server")
        """
    )
    result = suite.runpytest("-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*test_asks_late is a unit test but sets up livekit_server: unit tests start no server*"]
    )
