"""fer-edge host side: the command line, the search (fer_edge_search), merge and reports."""

__version__ = "0.1.0"
