"""The suite's child process lives no longer than the process that started it.

`fer-edge bench` (or the demo) runs the suite as a child; killed with SIGKILL it cannot stop that
child, which would go on timing and rewriting the results file that nobody waits for any more.
Two ties, both set up here:

- parent side (`child_preexec`, in subprocess's preexec_fn): Linux's prctl(PR_SET_PDEATHSIG)
  sends the child SIGTERM when the parent dies (prctl(2): the signal goes when the *thread*
  that forked exits, so the suite is started from the caller's main thread). Where prctl is
  missing (macOS, a libc without it) nothing happens there, and:
- child side (`watch_parent`, called by the plugin): a daemon thread polls the parent's pid
  (FER_EDGE_PARENT_PID, set by the runner) and sends itself SIGTERM when the parent is gone.

SIGTERM, from either tie or from anyone else (`docker stop`), ends the run as Ctrl-C does:
pytest finishes the session, the results written so far are kept, and the file's "fer_edge"
record says `complete: false` and why in `interrupted`. Python 3.6 compatible.
"""

import ctypes
import ctypes.util
import os
import signal
import threading

PARENT_PID_ENV = "FER_EDGE_PARENT_PID"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_SECONDS = 0.5

_state = {"reason": None, "parent": None, "raised": False}


def _libc_prctl():
    """libc's prctl, or None where there is none (not Linux)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


def child_environment(env=None):
    """The child's environment: `env` (default os.environ) plus this process's pid."""
    child = dict(os.environ if env is None else env)
    child[PARENT_PID_ENV] = str(os.getpid())
    return child


def child_preexec(prctl=None):
    """A preexec_fn that asks the kernel for SIGTERM on the parent's death, then exits at once
    if the parent died before that (its pid no longer being the child's parent). `prctl` is
    looked up here, in the parent, so the forked child only makes the call."""
    parent = os.getpid()
    prctl = _libc_prctl() if prctl is None else prctl

    def preexec():
        if prctl:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _parent_gone(parent):
    return "the parent process (pid {}) ended".format(parent)


def _on_sigterm(signum, frame):
    """SIGTERM ends the run as Ctrl-C does (pytest then saves what finished); only the first:
    both ties may fire, and a second interrupt inside pytest's own ending would cut that short."""
    if _state["raised"]:
        return
    parent = _state["parent"]
    if _state["reason"] is None:
        gone = parent is not None and os.getppid() != parent
        _state["reason"] = _parent_gone(parent) if gone else "terminated by SIGTERM"
    _state["raised"] = True
    raise KeyboardInterrupt(_state["reason"])


def _poll_parent(parent):
    """Wait until the parent `parent` is gone (this process re-parented), then end the run."""
    while os.getppid() == parent:
        threading.Event().wait(POLL_SECONDS)
    if _state["reason"] is None:  # prctl's SIGTERM may have come first
        _state["reason"] = _parent_gone(parent)
        os.kill(os.getpid(), signal.SIGTERM)


def watch_parent(env=None):
    """In the suite's process: SIGTERM ends the run cleanly, and, when started by the runner,
    the run ends when its parent does. Call from the main thread."""
    env = os.environ if env is None else env
    signal.signal(signal.SIGTERM, _on_sigterm)
    parent = env.get(PARENT_PID_ENV, "")
    if not parent.isdigit():
        return
    parent = _state["parent"] = int(parent)
    if os.getppid() != parent:  # the parent is already gone
        _state["reason"] = _parent_gone(parent)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    watcher = threading.Thread(target=_poll_parent, args=(parent,), name="fer-edge-lifeline")
    watcher.daemon = True
    watcher.start()


def interruption(exitstatus):
    """Why the run stopped early, or None when it was not interrupted (pytest's exit status 2
    without a recorded reason: Ctrl-C)."""
    if _state["reason"] is not None:
        return _state["reason"]
    return "interrupted (Ctrl-C)" if int(exitstatus) == 2 else None
