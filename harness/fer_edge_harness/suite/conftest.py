"""Loads the fer-edge plugin for this suite (`python3 -m pytest <this folder> --bundle ...`)."""

pytest_plugins = ["fer_edge_harness.plugin"]
