"""Connectors to a company's own datastores, described by Fides-compatible datasets."""

from privault.connectors.dataset import load_dataset
from privault.connectors.model import CollectionSpec, DatasetSpec, FieldSpec, Reference
from privault.connectors.results import (
    AccessResult,
    CollectionRows,
    DatastoreCheck,
    ErasureException,
    ErasureResult,
    NotErased,
    Retained,
)
from privault.connectors.sql import SqlDatastore

__all__ = [
    "AccessResult",
    "CollectionRows",
    "CollectionSpec",
    "DatasetSpec",
    "DatastoreCheck",
    "ErasureException",
    "ErasureResult",
    "FieldSpec",
    "NotErased",
    "Reference",
    "Retained",
    "SqlDatastore",
    "load_dataset",
]
