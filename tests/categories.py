"""Every test is ``unit``, ``integration`` or ``e2e``: decided from the fixtures it uses.

The category says what a test needs, so ``make test-unit`` (``-m unit``) can promise to
start no server:

``unit``
    Runs inside the pytest process: pure code, SQLite files, ``TestClient``, in-process
    fakes (the fake OpenAI servers, a recorder app in a uvicorn thread), short-lived
    command-line tools such as espeak-ng. No livekit-server, PostgreSQL or browser.
``integration``
    Needs a real server outside the test process: livekit-server, PostgreSQL, or the
    control API served on a port with the session's livekit-server.
``e2e``
    Runs the whole product: a browser on the real pages and API, or the full stack
    (control API, agent worker and livekit-server) carrying an interview.

How a test gets its category (``pytest_collection_modifyitems`` below):

1. From its fixtures: ``item.fixturenames`` is the closure of every fixture the test
   uses, directly or through other fixtures, so only the fixtures that *start* something
   are listed in :data:`FIXTURE_CATEGORY` (``api``, ``control_api``, ``site``... depend on
   ``livekit_server`` and are integration through it). The highest category wins;
   a test using none of them is ``unit``.
2. An explicit ``pytest.mark.unit`` / ``integration`` / ``e2e`` (usually a module's
   ``pytestmark``) may *raise* the category where the fixtures cannot tell, e.g. a
   test that starts the agent worker in its body with ``running_worker(...)``. It may
   never lower it: a test marked ``unit`` that uses ``api`` is a contradiction.
3. A safety net for what fixtures cannot show: when a test's own body calls something
   that starts a server or a process (:data:`STARTERS`: ``served_api``,
   ``running_worker``, ``subprocess.Popen``, ``async_playwright``...) and that thing needs
   more than the fixtures say, the test has no category until it is marked explicitly.

Collection fails (``pytest.UsageError``) listing every test without a category or with a
contradiction, with the module and the fix. The old ``livekit``/``postgres``/``browser``
markers are gone (the category replaces them and cannot drift from the fixtures);
``slow`` remains, as it says how long a test takes, not what it needs.

At run time a guard fails any ``unit`` test that still reaches a server fixture (through
``request.getfixturevalue``, which no collection-time rule can see).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from typing import Any

import pytest

UNIT = "unit"
INTEGRATION = "integration"
E2E = "e2e"
CATEGORIES = (UNIT, INTEGRATION, E2E)
_RANK = {name: rank for rank, name in enumerate(CATEGORIES)}

FIXTURE_CATEGORY: dict[str, str] = {
    # the real livekit-server binary (tests/conftest.py, once per session)
    "livekit_server": INTEGRATION,
    # a private PostgreSQL cluster (tests/conftest.py)
    "postgres_server": INTEGRATION,
    # tests/api/conftest.py: parametrized sqlite/postgres; the postgres case asks for
    # postgres_server at run time (getfixturevalue), which fixturenames cannot show
    "database_url": INTEGRATION,
    # tests/browser/conftest.py: Debian's Chromium on the real pages, API and LiveKit
    "browser": E2E,
    "empty_room_browser": E2E,
    # tests/faults/conftest.py: the control API and agent workers as child processes;
    # tests/demo/test_demo_end_to_end.py: `proctorai up` (livekit-server, API, worker)
    "stack": E2E,
    # tests/test_cli_up.py: `proctorai up` as a child process
    "running_up": E2E,
}
"""Fixtures that start a server or process, by name, wherever they are defined. Do not
reuse these names for fixtures that start nothing."""

STARTERS: dict[str, str] = {
    # tests/support/livekit_server.py and postgres_server.py re-export these: the key is
    # where the object is defined (its __module__), not the name a test imports it by
    "proctorai.private_servers.livekit.LiveKitServerProcess": INTEGRATION,
    "proctorai.private_servers.postgres.start_postgres": INTEGRATION,
    "proctorai.private_servers.worker.start_worker": INTEGRATION,
    "tests.support.served_api.served_api": INTEGRATION,
    "tests.support.served_api.serving": INTEGRATION,
    "tests.security.launched.launched": INTEGRATION,
    "tests.agent.conftest.running_worker": INTEGRATION,
    "tests.faults.stack.FaultStack": E2E,
    "playwright.async_api.async_playwright": E2E,
    "playwright.sync_api.sync_playwright": E2E,
    "subprocess.Popen": INTEGRATION,
    "subprocess.run": INTEGRATION,
    "subprocess.call": INTEGRATION,
    "subprocess.check_call": INTEGRATION,
    "subprocess.check_output": INTEGRATION,
    "asyncio.subprocess.create_subprocess_exec": INTEGRATION,
    "asyncio.subprocess.create_subprocess_shell": INTEGRATION,
}
"""What a test body may call to start a server or process itself (``module.qualname``)."""

GUARDED_FIXTURES = frozenset({"livekit_server", "postgres_server"})
"""Fixtures a ``unit`` test must never set up, checked at run time."""

_CURRENT_ITEM = pytest.StashKey[pytest.Item]()


def _key(obj: Any) -> str | None:
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return None


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def started_in_body(function: Any) -> dict[str, str]:
    """The :data:`STARTERS` a test function's own code refers to: {name: category}."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    namespace = getattr(function, "__globals__", None)
    if code is None or namespace is None:
        return {}
    names = {name for part in _code_objects(code) for name in part.co_names}
    found: dict[str, str] = {}
    for name in names:
        obj = namespace.get(name)
        candidates = [obj]
        if isinstance(obj, types.ModuleType):  # subprocess.Popen: both names are co_names
            members = vars(obj)
            candidates = [members.get(attr) for attr in names]
        for candidate in candidates:
            key = _key(candidate)
            if key in STARTERS:
                found[key] = STARTERS[key]
    return found


def _highest(categories: list[str]) -> str:
    return max(categories, key=_RANK.__getitem__, default=UNIT)


def categorize(item: pytest.Item) -> tuple[str | None, str | None]:
    """(category, problem): the category, or None with the reason it cannot be decided."""
    fixturenames: list[str] = list(getattr(item, "fixturenames", ()))
    needs = {name: FIXTURE_CATEGORY[name] for name in fixturenames if name in FIXTURE_CATEGORY}
    derived = _highest(list(needs.values()))
    body = started_in_body(getattr(item, "function", None))
    explicit = sorted({mark.name for mark in item.iter_markers() if mark.name in CATEGORIES})
    because = ", ".join(f"{name} ({category})" for name, category in sorted(needs.items()))
    because = f"its fixtures {because}" if because else "no fixture that starts a server"

    def mark_it(category: str) -> str:
        return (
            f"pytestmark = pytest.mark.{category} in the module, "
            f"or @pytest.mark.{category} on the test"
        )

    if len(explicit) > 1:
        return None, f"is marked {' and '.join(explicit)}: keep one category mark"
    if explicit:
        [mark] = explicit
        if _RANK[mark] < _RANK[derived]:
            return None, (
                f"is marked {mark} but needs {derived}: {because}. Remove the mark (the "
                f"fixtures decide), or mark the other tests of the module one by one"
            )
        above = {k: c for k, c in body.items() if _RANK[c] > _RANK[mark]}
        if above:
            wanted = _highest(list(above.values()))
            return None, (
                f"is marked {mark} but its body starts {', '.join(sorted(above))}, "
                f"which needs {wanted}: {mark_it(wanted)}"
            )
        return mark, None
    beyond = {k: c for k, c in body.items() if _RANK[c] > _RANK[derived]}
    if beyond:
        wanted = _highest(list(beyond.values()))
        return None, (
            f"has no category: {because} (so {derived}), but its body starts "
            f"{', '.join(sorted(beyond))}. Say what it needs: {mark_it(wanted)}; "
            f"or start it through a fixture listed in tests/categories.py"
        )
    if not fixturenames and not hasattr(item, "function"):
        return None, "has no category: not a Python test function; mark it explicitly"
    return derived, None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects on the marks set here
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problems: dict[str, list[str]] = {}
    for item in items:
        category, problem = categorize(item)
        if category is None:
            problems.setdefault(str(item.path), []).append(f"  {item.name} {problem}")
            continue
        if not any(mark.name == category for mark in item.iter_markers()):
            item.add_marker(category)
    if problems:
        lines = ["Every test must be unit, integration or e2e (see tests/categories.py):"]
        for module, found in sorted(problems.items()):
            lines.append(f"{module}:")
            lines.extend(found)
        raise pytest.UsageError("\n".join(lines))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[_CURRENT_ITEM] = item


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    if fixturedef.argname not in GUARDED_FIXTURES:
        return
    item = request.config.stash.get(_CURRENT_ITEM, None)
    if item is not None and item.get_closest_marker(UNIT) is not None:
        pytest.fail(
            f"{item.nodeid} is a unit test but sets up {fixturedef.argname}: unit tests "
            f"start no server. Use the fixture directly (it makes the test integration) "
            f"or mark the test pytest.mark.integration",
            pytrace=False,
        )
