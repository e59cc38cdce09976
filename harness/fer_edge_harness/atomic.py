"""The one atomic file writer of fer-edge (host and board): a reader, or a run killed half-way,
never sees half a file. Python 3.6 compatible."""

import os
import tempfile


def _current_umask():
    """The process umask (os has no read-only getter: set it and put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path, payload):
    """Write bytes to a temporary file in the same folder, fsync, then rename over `path`.

    Same folder, so the rename stays on one file system and is atomic. mkstemp creates the file
    0600; it gets the mode a plain open() would have given, so results stay readable by others.
    """
    path = os.path.abspath(str(path))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    handle, temp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                                    suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o666 & ~_current_umask())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.remove(temp)
        raise
    return path
