"""The results file: pytest-benchmark's own JSON, rewritten atomically after every benchmark.

pytest-benchmark writes --benchmark-json once, at the end of the session, by truncating the file
and writing into it (3.x even truncates it when the options are parsed), so a board that is
unplugged or a run that is killed would leave nothing. This writer makes the very same document
through pytest-benchmark's own hooks (generate_machine_info, generate_commit_info,
generate_json, update_json: where the "fer_edge" key is added) and replaces the file through a
temporary file and os.replace, after every benchmark and at the end. It takes the
--benchmark-json path over from pytest-benchmark so the two never write the same file.
"""

import json
import os

from fer_edge_harness.atomic import write_atomic

try:
    from pytest_benchmark.utils import safe_dumps
except ImportError:  # an older pytest-benchmark without it
    def safe_dumps(obj, **kwargs):
        return json.dumps(obj, default=str, **kwargs)


def take_over_json_path(config):
    """The --benchmark-json path (None without one); pytest-benchmark's own write switched off."""
    session = getattr(config, "_benchmarksession", None)
    target = getattr(session, "json", None)
    if not target:
        return None
    path = target
    if hasattr(target, "write"):  # 3.x: a file opened by argparse.FileType; 5.x: a Path
        path = target.name
        target.close()
    session.json = None
    return os.path.abspath(str(path))


def write_json_atomically(path, document):
    """Write the results JSON atomically (a killed run leaves the previous complete file)."""
    write_atomic(path, safe_dumps(document, ensure_ascii=True, indent=4).encode("utf-8"))


class JsonWriter(object):
    """Writes the benchmarks finished so far to `path` with pytest-benchmark's generator."""

    def __init__(self, config, path, include_data=False):
        self.config = config
        self.path = path
        # Every round's time (stats.data) only when asked (--round-times): with a minimum time
        # per benchmark a fast model gives tens of thousands of rounds, and the file is
        # rewritten after every benchmark.
        self.include_data = bool(include_data)
        self._machine_info = None
        self._commit_info = None

    def _run_infos(self):
        """Machine and commit info, asked for once (py-cpuinfo takes a second)."""
        if self._machine_info is None:
            hook, config = self.config.hook, self.config
            self._machine_info = hook.pytest_benchmark_generate_machine_info(config=config)
            hook.pytest_benchmark_update_machine_info(config=config,
                                                      machine_info=self._machine_info)
            self._commit_info = hook.pytest_benchmark_generate_commit_info(config=config)
            hook.pytest_benchmark_update_commit_info(config=config,
                                                     commit_info=self._commit_info)
        return self._machine_info, self._commit_info

    def write(self, benchmarks):
        """Generate the document for `benchmarks` (pytest-benchmark Metadata) and save it."""
        machine_info, commit_info = self._run_infos()
        hook = self.config.hook
        document = hook.pytest_benchmark_generate_json(
            config=self.config, benchmarks=list(benchmarks), include_data=self.include_data,
            machine_info=machine_info, commit_info=commit_info)
        hook.pytest_benchmark_update_json(config=self.config, benchmarks=list(benchmarks),
                                          output_json=document)
        write_json_atomically(self.path, document)
        return document
