"""fer-edge core: the host side's user-input error, atomic files and the contracts' host helpers.

Imports nothing of the host but itself; builds on the board harness's contract modules.
"""
