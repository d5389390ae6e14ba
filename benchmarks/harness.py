"""Timing, percentiles and ratios shared by the benchmarks; table and JSON output.

Every figure is a ratio of the platform against a baseline measured in the
same run, so that a noisy shared machine slows both sides alike; absolute
times are reported for context only. The load average is recorded beside
every result, since other work on the machine moves both sides unevenly.
"""

import gc
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

Say = Callable[[str], None]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between the
    closest ranks (numpy's default method)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(platform_value: float, baseline_value: float) -> float:
    """platform / baseline; infinite when the baseline is 0 and the platform is not."""
    if baseline_value == 0:
        return 0.0 if platform_value == 0 else float("inf")
    return platform_value / baseline_value


def loadavg() -> tuple[float, float, float]:
    try:
        return tuple(round(x, 2) for x in os.getloadavg())
    except OSError:  # not on this platform
        return (0.0, 0.0, 0.0)


@dataclass
class Timing:
    """Wall-clock seconds per call (``samples``) and the calls' total."""

    samples: list[float]

    @property
    def total(self) -> float:
        return sum(self.samples)

    @property
    def count(self) -> int:
        return len(self.samples)

    def rate(self, items: int | None = None) -> float:
        """Items (default: calls) per second over the total time."""
        items = self.count if items is None else items
        return ratio(items, self.total)

    def p(self, q: float) -> float:
        return percentile(self.samples, q)


def time_calls(fn: Callable[[], object], *, repeat: int, warmup: int = 1) -> Timing:
    """Call ``fn`` ``warmup`` times untimed, then ``repeat`` times timed one by one."""
    for _ in range(warmup):
        fn()
    gc.collect()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return Timing(samples)


def interleave(sides: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 1):
    """Time several sides in alternating rounds (A, B, A, B, ...), so that a
    burst of load on the machine falls on all of them alike."""
    for fn in sides.values():
        for _ in range(warmup):
            fn()
    gc.collect()
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            started = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - started)
    return {name: Timing(values) for name, values in samples.items()}


@dataclass
class Result:
    """One row of the table: a figure for the platform and for its baseline,
    their ratio (platform / baseline) and the goal for that ratio."""

    benchmark: str
    hot_path: str
    unit: str
    platform: float
    baseline: float
    goal_op: str  # ">=" or "<="
    goal: float
    baseline_name: str = ""
    load: tuple[float, float, float] = field(default_factory=loadavg)
    details: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return ratio(self.platform, self.baseline)

    @property
    def met(self) -> bool:
        if self.goal_op == ">=":
            return self.ratio >= self.goal
        if self.goal_op == "<=":
            return self.ratio <= self.goal
        raise ValueError(f"unknown goal operator {self.goal_op!r}")

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio, "met": self.met}


def _number(value: float) -> str:
    if value == float("inf"):
        return "inf"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def table(results: list[Result]) -> str:
    header = ["hot path", "unit", "platform", "baseline", "ratio", "goal", "met?", "load 1m"]
    rows = [
        [
            r.hot_path,
            r.unit,
            _number(r.platform),
            _number(r.baseline),
            f"{r.ratio:.3f}" if r.ratio != float("inf") else "inf",
            f"{r.goal_op} {r.goal:g}",
            "yes" if r.met else "NO",
            f"{r.load[0]:.2f}",
        ]
        for r in results
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]

    def line(cells) -> str:
        return " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))

    return "\n".join([line(header), "-+-".join("-" * w for w in widths), *map(line, rows)])


def machine() -> dict:
    from django.db import connection

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "database": connection.vendor,
        "driver_version": getattr(connection.Database, "__version__", ""),
        "load_at_start": loadavg(),
    }


def write_json(path: Path, *, command: str, results: list[Result], started: float, info: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "command": command,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": info | {"load_at_end": loadavg()},
        "results": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
