"""Hyperopt's search state rebuilt from a run folder's data-only trial records.

A run folder is something people copy between machines, so resuming a search reads nothing but
JSON: each finished trial's result.json gives its id, configuration and outcome, and the
Hyperopt Trials that TPE suggests from is rebuilt from those (the configuration mapped back to
the sample Hyperopt drew, `SearchSpace.to_vals`; the loss is minus the validation accuracy; a
failed trial is STATUS_FAIL, which TPE counts as an infinite loss, as it did the first time).
Nothing is unpickled: a crafted pickle runs code when it is loaded.

What TPE reads of a trial is its tid, its loss and status, and misc.idxs/vals; all are rebuilt
exactly, so the next suggestion equals an uninterrupted search's (tests/test_search_resume.py).
One difference that does not reach TPE: a grid index of 0 that Hyperopt drew as -0.0 (rounding
a small negative uniform draw) comes back as 0.0; the two are equal in every comparison and sum.
"""

from __future__ import annotations

from typing import Any

from fer_edge_search.space import SearchSpace

# The misc["cmd"] fmin stores in each trial it runs (hyperopt.fmin's FMinIter), copied so that
# rebuilt trials look to Hyperopt like the ones it made.
_FMIN_CMD = ("domain_attachment", "FMinIter_Domain")


def trial_doc_parts(space: SearchSpace, record: dict[str, Any]) -> tuple[dict, dict]:
    """(result, misc) of one trial record {trial_id, config, status, val_accuracy}: the two
    parts of a Hyperopt trial document TPE reads. ValueError when the config is off the space."""
    from hyperopt import STATUS_FAIL, STATUS_OK

    tid = record["trial_id"]
    vals = space.to_vals(record["config"])
    idxs = {label: [tid] if values else [] for label, values in vals.items()}
    if record["status"] == "ok":
        result = {"status": STATUS_OK, "loss": -float(record["val_accuracy"])}
    else:
        result = {"status": STATUS_FAIL}
    return result, {"tid": tid, "cmd": _FMIN_CMD, "workdir": None, "idxs": idxs, "vals": vals}


def rebuild_trials(space: SearchSpace, records: list[dict[str, Any]]) -> Any:
    """A hyperopt Trials holding `records` (finished trials, any order) as finished jobs."""
    from hyperopt import JOB_STATE_DONE, Trials

    trials = Trials()
    records = sorted(records, key=lambda r: r["trial_id"])
    parts = [trial_doc_parts(space, r) for r in records]
    docs = trials.new_trial_docs([r["trial_id"] for r in records], [None] * len(records),
                                 [result for result, _ in parts], [misc for _, misc in parts])
    for doc in docs:
        doc["state"] = JOB_STATE_DONE
    trials.insert_trial_docs(docs)
    trials.refresh()
    return trials
