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
    full = os.path.realpath(os.path.join(os.path.realpath(str(root)), relative_path))
    if not within(root, full):
        raise ValueError("path {!r} leaves the {}".format(relative_path, folder))
    return full


def within(root, path):
    """True when `path` is the folder `root` or lies inside it, symbolic links resolved (also
    for a path that does not exist yet: its nearest existing parent decides)."""
    base = os.path.realpath(str(root))
    full = os.path.realpath(str(path))
    return full == base or full.startswith(base.rstrip(os.sep) + os.sep)
