"""Mutation testing of the code whose numbers users read (issue 16), with cosmic-ray.

Each group of modules is mutated one change at a time and tested with the few fast tests that
cover it (GROUPS below); a mutant is killed when those tests fail. Prints the kill rate per
module and per group and writes the surviving mutants, each with its reviewed reason from
benchmarks/mutation-survivors.json (`no reason recorded` marks a new survivor: a test-suite
change that lets a mutant live is a regression).

    .venv/bin/python benchmarks/mutation.py [--groups NAME,...] [--out FILE.md]

`make mutation` runs it. cosmic-ray edits each file in place and puts it back; this script
restores every mutated file from a copy as well, whatever happens to cosmic-ray.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REASONS = ROOT / "benchmarks" / "mutation-survivors.json"
PYTEST = f"{sys.executable} -m pytest -x -q -p no:cacheprovider -p no:randomly"


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    timeout_s: float = 120.0


GROUPS = (
    Group("harness timing loop and accuracy", ("harness/fer_edge_harness/measure.py",),
          ("tests/test_harness_timing.py", "tests/test_harness_measure.py")),
    Group("warm-up rule and flags",
          ("harness/fer_edge_harness/timing.py", "harness/fer_edge_harness/quality.py"),
          ("tests/test_harness_timing.py",)),
    Group("results and atomic writing",
          ("harness/fer_edge_harness/results.py", "harness/fer_edge_harness/atomic.py"),
          ("tests/test_harness_results.py", "tests/test_harness_atomic.py")),
    Group("bundle verifier", ("harness/fer_edge_harness/bundle.py",),
          ("tests/test_bundle_verifier_cases.py", "tests/test_bundle_verify.py")),
    Group("INT8 exporter checks", ("search/fer_edge_search/export/tflite_int8.py",),
          ("tests/test_export_int8_refusal.py",), timeout_s=240.0),
    Group("merge fitness and ranking", ("merge/fer_edge_merge/fitness.py",
                                       "merge/fer_edge_merge/ranking.py"),
          ("tests/test_merge_fitness.py", "tests/test_merge_ranking.py")),
)

# Realistic single mistakes only: arithmetic among + - * /, comparisons among == != < <= > >=
# (plus is/is not and in/not in swapped), and cosmic-ray's other operators, but not the
# replacements into or out of bit and exotic operators (|, &, **, <<, >>, ^, %, //: `|` is
# mostly `X | None` in annotations, never evaluated), nor VariableInserter/Replacer, which put
# random variables anywhere and make mostly code that cannot run.
EXCLUDED_OPERATORS = (
    r"core/ReplaceBinaryOperator_\w+_(BitOr|BitAnd|Pow|LShift|RShift|BitXor|Mod|FloorDiv)$",
    r"core/ReplaceBinaryOperator_(BitOr|BitAnd|Pow|LShift|RShift|BitXor|Mod|FloorDiv)_\w+$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq|Lt|LtE|Gt|GtE)_(Is|IsNot|In|NotIn)$",
    r"core/ReplaceComparisonOperator_(Is|IsNot|In|NotIn)_(Eq|NotEq|Lt|LtE|Gt|GtE)$",
    r"core/ReplaceComparisonOperator_(Is|IsNot)_(In|NotIn)$",
    r"core/ReplaceComparisonOperator_(In|NotIn)_(Is|IsNot)$",
    r"core/VariableInserter$",
    r"core/VariableReplacer$",
)


@dataclass
class Outcome:
    """One module's mutants: counts and the survivors (path, line, operator, code, diff)."""

    module: str
    killed: int = 0
    survived: list[dict] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.killed + len(self.survived)


def config_text(group: Group) -> str:
    """cosmic-ray's TOML configuration for one group."""
    modules = ", ".join(json.dumps(m) for m in group.modules)
    excluded = ",\n    ".join(json.dumps(e) for e in EXCLUDED_OPERATORS)
    command = f"{PYTEST} {' '.join(group.tests)}"
    return (f"[cosmic-ray]\nmodule-path = [{modules}]\ntimeout = {group.timeout_s}\n"
            f"excluded-modules = []\ntest-command = {json.dumps(command)}\n\n"
            f"[cosmic-ray.distributor]\nname = \"local\"\n\n"
            f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [\n    {excluded}\n]\n")


def run(argv: list[str], log) -> None:
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited {done.returncode}:\n"
                           f"{(done.stdout + done.stderr)[-3000:]}")
    log(f"  {shlex.join(argv[:2])} done")


def source_line(path: str, line: int) -> str:
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def outcomes(db_path: Path, group: Group) -> dict[str, Outcome]:
    """Killed and surviving mutants per module, from cosmic-ray's session database; skipped
    (filtered) mutants do not count."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    found = {m: Outcome(m) for m in group.modules}
    with use_db(str(db_path), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            spec = item.mutations[0]
            module = os.path.relpath(ROOT / spec.module_path, ROOT)
            if result.test_outcome == TestOutcome.SURVIVED:
                line = spec.start_pos[0]
                found[module].survived.append({
                    "module": module, "line": line, "operator": spec.operator_name,
                    "occurrence": spec.occurrence, "code": source_line(module, line),
                    "diff": result.diff or ""})
            else:
                found[module].killed += 1
    return found


def run_group(group: Group, workdir: Path, log) -> dict[str, Outcome]:
    """Baseline (the tests must pass unmutated), then every mutant of the group."""
    config, db_path = workdir / "config.toml", workdir / "session.sqlite"
    config.write_text(config_text(group))
    copies = {m: (ROOT / m).read_bytes() for m in group.modules}
    try:
        run([str(BIN / "cosmic-ray"), "baseline", str(config)], log)
        run([str(BIN / "cosmic-ray"), "init", str(config), str(db_path)], log)
        run([str(BIN / "cr-filter-operators"), str(db_path), str(config)], log)
        run([str(BIN / "cosmic-ray"), "exec", str(config), str(db_path)], log)
    finally:
        for module, content in copies.items():
            if (ROOT / module).read_bytes() != content:
                (ROOT / module).write_bytes(content)
                log(f"  restored {module}")
    return outcomes(db_path, group)


def reason_key(survivor: dict) -> str:
    """What identifies a survivor across edits elsewhere: module, operator and its code line."""
    return f"{survivor['module']} | {survivor['operator']} | {survivor['code']}"


def rate(killed: int, total: int) -> str:
    return f"{killed}/{total} killed ({100.0 * killed / total:.1f}%)" if total else "no mutants"


def report(results: dict[str, dict[str, Outcome]], reasons: dict[str, str],
           command: str, seconds: float) -> str:
    lines = [f"Command: `{command}` ({seconds / 60:.0f} min, "
             f"{datetime.date.today().isoformat()}, cosmic-ray, one mutant at a time)", "",
             "| group | module | mutants | killed | survived | kill rate |",
             "|---|---|---:|---:|---:|---:|"]
    killed = total = 0
    for name, modules in results.items():
        for out in modules.values():
            killed, total = killed + out.killed, total + out.total
            share = f"{100.0 * out.killed / out.total:.1f}%" if out.total else "-"
            lines.append(f"| {name} | `{out.module}` | {out.total} | {out.killed} | "
                         f"{len(out.survived)} | {share} |")
    lines += ["", f"**All listed modules: {rate(killed, total)}.**", "",
              "Surviving mutants (reason reviewed by hand; *equivalent*: the mutant behaves "
              "exactly like the original, no test can kill it):", ""]
    for modules in results.values():
        for out in modules.values():
            for s in out.survived:
                reason = reasons.get(reason_key(s), "no reason recorded")
                lines.append(f"- `{s['module']}:{s['line']}` {s['operator']} on "
                             f"`{s['code']}`: {reason}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", default="", help="comma list of group names (all)")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    parser.add_argument("--survivors-json", type=Path, help="write the survivors as JSON here")
    args = parser.parse_args(argv)
    wanted = [g for g in args.groups.split(",") if g]
    groups = [g for g in GROUPS if not wanted or g.name in wanted]
    if not groups:
        sys.exit(f"error: --groups: none of {', '.join(g.name for g in GROUPS)}")
    reasons = json.loads(REASONS.read_text()) if REASONS.is_file() else {}

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = datetime.datetime.now()
    results = {}
    for group in groups:
        log(f"{group.name}: {', '.join(group.modules)}")
        with tempfile.TemporaryDirectory(prefix="mutation-") as workdir:
            results[group.name] = run_group(group, Path(workdir), log)
        for out in results[group.name].values():
            print(f"{group.name}: {out.module}: {rate(out.killed, out.total)}", flush=True)
    command = shlex.join(["make", "mutation"] if argv is None and len(sys.argv) == 1
                         else [".venv/bin/python", "benchmarks/mutation.py",
                               *(argv if argv is not None else sys.argv[1:])])
    text = report(results, reasons, command,
                  (datetime.datetime.now() - started).total_seconds())
    print(text)
    if args.out:
        args.out.write_text(text)
    if args.survivors_json:
        survivors = [s for modules in results.values() for out in modules.values()
                     for s in out.survived]
        args.survivors_json.write_text(json.dumps(survivors, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
