"""Admission control: load is honest and the worker refuses beyond capacity."""

from __future__ import annotations

import pytest

from agent.capacity import CapacityGate


def test_load_counts_running_and_reserved_jobs() -> None:
    gate = CapacityGate(max_jobs=4)
    assert gate.load([], now=0) == 0.0
    assert gate.try_reserve("a", [], now=0)
    assert gate.load([], now=0) == 0.25
    assert gate.load(["a", "b"], now=1) == 0.5  # "a" started: no longer counted twice


def test_requests_beyond_capacity_are_refused_even_in_a_burst() -> None:
    gate = CapacityGate(max_jobs=2)
    assert gate.try_reserve("a", [], now=0)
    assert gate.try_reserve("b", [], now=0)
    assert not gate.try_reserve("c", [], now=0)  # neither a nor b is running yet
    assert gate.load([], now=0) == 1.0


def test_a_reservation_that_never_starts_expires() -> None:
    gate = CapacityGate(max_jobs=1, reservation_ttl=30)
    assert gate.try_reserve("a", [], now=0)
    assert not gate.try_reserve("b", [], now=10)
    assert gate.try_reserve("b", [], now=31)


def test_release_frees_the_slot() -> None:
    gate = CapacityGate(max_jobs=1)
    assert gate.try_reserve("a", [], now=0)
    gate.release("a")
    assert gate.try_reserve("b", [], now=0)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        CapacityGate(max_jobs=0)
