"""The host's merge side: load board results, rank them, select next-stage bundles, report."""
