"""The method end to end on one machine (`fer-edge demo`): stage 1 search, stage 2 latency,
stage 3 power where a sensor exists, and the report. Entry point: `run_demo`.

`run_demo` is imported on first use, so the command line can read the option defaults
(fer_edge.pipeline.options) without loading the progress display and the stages.
"""

from typing import Any

from fer_edge.pipeline.options import QUICK, DemoOptions

__all__ = ["QUICK", "DemoOptions", "run_demo"]


def __getattr__(name: str) -> Any:
    if name == "run_demo":
        from fer_edge.pipeline.demo import run_demo

        return run_demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
