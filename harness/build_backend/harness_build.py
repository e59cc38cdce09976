"""The harness's PEP 517 build backend: setuptools' own, run on a copy of this folder.

pip >= 21.3 builds in place, and setuptools then leaves build/ and *.egg-info in the source
tree (a board's checkout, a read-only mount). Each hook here copies the folder to a temporary
one, runs setuptools.build_meta's hook of the same name there, and removes the copy. Editable
installs (development only) run in place, as they must. Python 3.6 compatible.
"""

import contextlib
import os
import shutil
import tempfile

from setuptools import build_meta as _setuptools

_LEFT_OUT = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc")


@contextlib.contextmanager
def _in_a_copy():
    """Run the body in a copy of the current folder (the project), then delete the copy."""
    project = os.getcwd()
    work = tempfile.mkdtemp(prefix="fer-edge-harness-build-")
    try:
        copy = os.path.join(work, "project")
        shutil.copytree(project, copy, ignore=_LEFT_OUT)
        os.chdir(copy)
        yield
    finally:
        os.chdir(project)
        shutil.rmtree(work, ignore_errors=True)


def _copied(hook_name):
    """setuptools' hook `hook_name`, run in a copy; its output folder made absolute first."""
    hook = getattr(_setuptools, hook_name)

    def run(*args, **kwargs):
        args = [os.path.abspath(a) if i == 0 and isinstance(a, str) else a
                for i, a in enumerate(args)]
        with _in_a_copy():
            return hook(*args, **kwargs)

    run.__name__ = hook_name
    run.__doc__ = "setuptools.build_meta.{}, run in a copy of the project".format(hook_name)
    return run


get_requires_for_build_wheel = _copied("get_requires_for_build_wheel")
get_requires_for_build_sdist = _copied("get_requires_for_build_sdist")
prepare_metadata_for_build_wheel = _copied("prepare_metadata_for_build_wheel")
build_wheel = _copied("build_wheel")
build_sdist = _copied("build_sdist")

# PEP 660 editable installs (setuptools >= 64): in place, as an editable install must be.
for _name in ("get_requires_for_build_editable", "prepare_metadata_for_build_editable",
              "build_editable"):
    if hasattr(_setuptools, _name):
        globals()[_name] = getattr(_setuptools, _name)
