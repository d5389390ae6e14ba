"""Benchmarks: one module per hot path, each measuring the platform against a
raw baseline in the same run (see BENCHMARKS.md). Run with ``civicgrid bench``.

Each module has ``NAME`` and ``run(*, quick: bool, say) -> list[Result]``.
"""

# In the order they run; "civicgrid bench" with no names runs them all.
BENCHMARKS = {
    "geofence": "benchmarks.geofence",
    "figures": "benchmarks.figures",
    "insights": "benchmarks.insights",
    "map_layers": "benchmarks.map_layers",
    "excel_import": "benchmarks.excel_import",
    "case_api": "benchmarks.case_api",
    "ingest": "benchmarks.ingest",
    "alarm_latency": "benchmarks.alarm_latency",
}
