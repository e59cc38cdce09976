"""Stage 1 on Ray Tune: the local engine's space, TPE and training, run by Ray on one machine or
a cluster, with ASHA stopping trials whose validation accuracy lags, into the same run folder.

Modules: `settings` (what the command line chooses), `runtime` (starting or joining Ray),
`trainable` (one trial inside a Ray worker), `records` (finished trials into the run folder, and
back), `driver` (the search). Ray is the search component's optional extra: `pip install
"./search[ray]"`; nothing outside this package imports it.
"""
