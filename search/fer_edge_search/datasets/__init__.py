"""Datasets by spec string (`synthetic`, `ck+:PATH`, `folder:PATH`, `fer2013:PATH`) and splits."""

from fer_edge_search.datasets.base import CKPLUS_CLASSES, Dataset, Split, SplitSpec
from fer_edge_search.datasets.spec import DEFAULT_SPEC, load_dataset
from fer_edge_search.datasets.splits import split_dataset

__all__ = [
    "CKPLUS_CLASSES", "DEFAULT_SPEC", "Dataset", "Split", "SplitSpec", "load_dataset",
    "split_dataset",
]
