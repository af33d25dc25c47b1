"""Admission control: load is honest and the worker refuses beyond capacity."""

from __future__ import annotations

import pytest

from agent.capacity import CapacityGate, CpuLoad


def test_load_counts_running_jobs_and_leaves_reservations_to_livekit() -> None:
    gate = CapacityGate(max_jobs=4)
    assert gate.load([]) == 0.0
    assert gate.try_reserve("a", [], now=0)
    assert gate.load([]) == 0.0  # LiveKit counts accepted-but-not-running jobs itself
    assert gate.load(["a", "b"]) == 0.5
    assert gate.load(["a", "b", "c", "d", "e"]) == 1.0


def test_requests_beyond_capacity_are_refused_even_in_a_burst() -> None:
    gate = CapacityGate(max_jobs=2)
    assert gate.try_reserve("a", [], now=0)
    assert gate.try_reserve("b", [], now=0)
    assert not gate.try_reserve("c", [], now=0)  # neither a nor b is running yet
    assert gate.try_reserve("c", ["a"], now=1) is False  # a runs, b still reserved


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


def test_cpu_over_its_limit_refuses_a_job_the_job_count_would_take() -> None:
    gate = CapacityGate(max_jobs=4)
    assert not gate.try_reserve("a", [], now=0, cpu_load=1.0)
    assert gate.try_reserve("a", [], now=0, cpu_load=0.6)


def test_cpu_load_is_averaged_and_scaled_to_its_limit() -> None:
    readings = iter([0.9, 0.9, 0.3, 0.3])
    cpu = CpuLoad(limit=0.8, samples=2, read=lambda: next(readings))
    assert cpu.sample() == 1.0  # 0.9 of the machine is over the 0.8 limit: full
    assert cpu.sample() == 1.0
    assert cpu.sample() == pytest.approx(0.6 / 0.8)  # one busy report is averaged away
    assert cpu.sample() == pytest.approx(0.3 / 0.8)
    assert cpu.current() == pytest.approx(0.3 / 0.8)


def test_cpu_share_can_be_turned_off() -> None:
    cpu = CpuLoad(limit=None, read=lambda: 1.0)
    assert cpu.sample() == 0.0
    assert cpu.current() == 0.0
    with pytest.raises(ValueError):
        CpuLoad(limit=1.5)
