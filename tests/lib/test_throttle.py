"""The per-source allowance: a window's limit per source, a fresh window
after it, and memory bounded whatever the number of sources."""

from civicgrid.lib.throttle import Allowance


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_each_source_has_its_own_allowance_per_window():
    clock = Clock()
    allowance = Allowance(window_seconds=60, clock=clock)
    assert [allowance.allow("a", 3) for _ in range(5)] == [True, True, True, False, False]
    assert allowance.allow("b", 3)
    clock.now = 59.9
    assert not allowance.allow("a", 3)
    clock.now = 60.0
    assert allowance.allow("a", 3)


def test_memory_stays_bounded_under_a_flood_of_sources():
    clock = Clock()
    allowance = Allowance(window_seconds=60, max_sources=100, clock=clock)
    for n in range(1000):
        assert allowance.allow(f"source-{n}", 1)
        clock.now += 0.01
    assert len(allowance._counts) <= 100
