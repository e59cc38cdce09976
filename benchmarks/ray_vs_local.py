"""Stage 1 at an equal compute budget: the local engine against Ray Tune with ASHA.

Both engines run `fer-edge search` at its defaults (synthetic data, 20 epochs, the built-in
space; Ray with its default workers and ASHA settings) at the same time, on the same cores, so
both see the same load from whatever else runs on the machine. The compute budget is CPU time:
each engine's process tree (the search, and for Ray its runtime and workers) is read from /proc
every few seconds, and an engine is interrupted (SIGINT, as Ctrl-C) once it has used the budget.
Only the trials whose result.json was written by then count. Printed: trials finished per
CPU-hour (trained to the end, stopped by ASHA, failed), the best validation accuracy of a
trained trial, and the ratio Ray / local.

    .venv/bin/python benchmarks/ray_vs_local.py --cpu-minutes 20 --out /tmp/ray-vs-local
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FER_EDGE = str(Path(sys.executable).with_name("fer-edge"))
TICKS = os.sysconf("SC_CLK_TCK")


def commands(out: Path, trials: int, ray_args: list[str]) -> dict[str, list[str]]:
    """The two searches at the command's defaults (and `ray_args` for the Ray engine)."""
    return {
        "local": [FER_EDGE, "search", "--out", str(out / "local"), "--trials", str(trials),
                  "--quiet"],
        "ray": [FER_EDGE, "search", "--engine", "ray", "--out", str(out / "ray"),
                "--trials", str(trials), "--quiet", *ray_args],
    }


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of `root` and its live descendants, each with the time of
    the children it has reaped (/proc/PID/stat fields utime, stime, cutime, cstime)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while we looked
        stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS)
    tree, total, grew = {root}, 0.0, True
    while grew:
        more = {pid for pid, (ppid, _) in stats.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    for pid in tree:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def stop(proc: subprocess.Popen) -> None:
    """Ctrl-C to the engine's process group; SIGKILL if it has not ended within 3 minutes."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def run_both(out: Path, cpu_seconds: float, trials: int, wall_seconds: float,
             ray_args: list[str]) -> dict[str, dict[str, Any]]:
    """Start both searches; stop each once its process tree used `cpu_seconds` (or at
    `wall_seconds`, when the machine is too busy to give that much in time). Per engine:
    the time it was stopped, its CPU seconds then, its wall seconds, the load averages seen."""
    env = {**os.environ, "RAY_TMPDIR": str(out / "ray-tmp")}
    (out / "ray-tmp").mkdir(parents=True, exist_ok=True)
    started = time.time()
    procs: dict[str, subprocess.Popen] = {}
    for name, cmd in commands(out, trials, ray_args).items():
        with open(out / f"{name}.log", "w") as log:
            procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                           start_new_session=True)
    used = {name: 0.0 for name in procs}
    ended: dict[str, dict[str, Any]] = {}
    loads: list[float] = []
    while len(ended) < len(procs):
        time.sleep(5)
        loads.append(os.getloadavg()[0])
        for name, proc in procs.items():
            if name in ended:
                continue
            used[name] = max(used[name], tree_cpu_seconds(proc.pid))
            late = time.time() - started >= wall_seconds
            if used[name] >= cpu_seconds or late or proc.poll() is not None:
                deadline = time.time()
                stop(proc)
                ended[name] = {"deadline": deadline, "cpu_seconds": used[name],
                               "wall_seconds": deadline - started}
    for record in ended.values():
        record["load_average_1min"] = {"min": min(loads), "max": max(loads),
                                       "mean": round(sum(loads) / len(loads), 2)}
    return ended


def tally(run_dir: Path, ended: dict[str, Any]) -> dict[str, Any]:
    """Trials recorded before the engine was stopped, by status, and the best trained
    accuracy, per CPU-hour the engine used."""
    cpu_hours = ended["cpu_seconds"] / 3600
    records = [json.loads(p.read_text()) for p in sorted(run_dir.glob("trials/*/result.json"))
               if p.stat().st_mtime <= ended["deadline"]]
    status = [r["status"] for r in records]
    trained = [r["val_accuracy"] for r in records if r["status"] == "ok"]
    return {"finished": len(records), "trained": status.count("ok"),
            "stopped": status.count("stopped"), "failed": status.count("failed"),
            "finished_per_cpu_hour": len(records) / cpu_hours,
            "trained_per_cpu_hour": len(trained) / cpu_hours,
            "best_val_accuracy": max(trained, default=None), **ended}


def table(rows: dict[str, dict[str, Any]]) -> str:
    """The README's table: one row an engine, then the ratios."""
    lines = ["| engine | CPU min used | wall min | finished | trained to the end | stopped by "
             "ASHA | failed | finished / CPU-hour | best val acc % |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        best = "-" if r["best_val_accuracy"] is None else f"{r['best_val_accuracy']:.2f}"
        lines.append(f"| {name} | {r['cpu_seconds'] / 60:.1f} | {r['wall_seconds'] / 60:.1f} | "
                     f"{r['finished']} | {r['trained']} | {r['stopped']} | {r['failed']} | "
                     f"{r['finished_per_cpu_hour']:.1f} | {best} |")
    local, ray = rows["local"], rows["ray"]
    if local["finished_per_cpu_hour"]:
        ratio = ray["finished_per_cpu_hour"] / local["finished_per_cpu_hour"]
        lines.append(f"\nRatio Ray / local, trials finished per CPU-hour: {ratio:.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-minutes", type=float, default=20.0,
                        help="CPU time each engine may use")
    parser.add_argument("--out", type=Path, required=True, help="a new folder for both runs")
    parser.add_argument("--max-wall-minutes", type=float, default=120.0,
                        help="stop both by then even if short of the CPU budget")
    parser.add_argument("--trials", type=int, default=1000, help="more than the budget allows")
    parser.add_argument("--ray-args", default="", help='more options for the Ray engine, e.g. '
                        '"--grace-epochs 1"')
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=False)
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    ended = run_both(args.out, args.cpu_minutes * 60, args.trials,
                     args.max_wall_minutes * 60, args.ray_args.split())
    rows = {name: tally(args.out / name, ended[name]) for name in ("local", "ray")}
    summary = {"started": started, "cpu_minutes_each": args.cpu_minutes,
               "ray_args": args.ray_args,
               "nproc": os.cpu_count(), "engines": rows}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(table(rows))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
