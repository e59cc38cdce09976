"""Paths read from a file stay inside that file's folder (host and board; Python 3.6).

A bundle, a run folder or a ranking may come from someone else: a path it records is followed
only when it is relative and, symbolic links resolved, still inside the folder.
"""

import os


def confined_path(root, relative_path, folder="folder"):
    """The real absolute path of `relative_path` under the folder `root`; ValueError saying how
    it leaves the folder (called `folder` in the message: "bundle folder", "run folder")."""
    if not isinstance(relative_path, str) or not relative_path:
        raise ValueError("path {!r} is not a relative path".format(relative_path))
    if os.path.isabs(relative_path):
        raise ValueError("path {!r} is absolute; paths here are relative to the {}"
                         .format(relative_path, folder))
    base = os.path.realpath(str(root))
    full = os.path.realpath(os.path.join(base, relative_path))
    if full != base and not full.startswith(base + os.sep):
        raise ValueError("path {!r} leaves the {}".format(relative_path, folder))
    return full
