"""The database as it is: tables, columns, primary keys and every foreign key, reflected at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    String,
    Time,
    Uuid,
    inspect,
)

from privault.connectors.sqlbits import failing_as


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """What masking needs to know about a column."""

    name: str
    nullable: bool
    is_string: bool
    length: int | None
    family: str = (
        "other"  # what values compare with: integer, number, text, date, ... (type_family)
    )


@dataclass(frozen=True, slots=True)
class Link:
    """Rows of ``child`` point at rows of ``parent`` (``child_columns`` hold ``parent_columns`` values)."""

    child: str
    child_columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    declared: bool = False  # from a dataset reference rather than a database foreign key


@dataclass(frozen=True, slots=True)
class DbSchema:
    """Reflected tables of the connection's default schema."""

    columns: dict[str, dict[str, ColumnInfo]]
    primary_keys: dict[str, tuple[str, ...]]
    foreign_keys: tuple[Link, ...]

    def referenced_columns(self, table: str) -> set[str]:
        """Columns of ``table`` that some foreign key points at."""
        return {c for fk in self.foreign_keys if fk.parent == table for c in fk.parent_columns}


def reflect(conn: Connection) -> DbSchema:
    """Columns, primary keys and foreign keys of every table, in a few catalogue queries."""
    with failing_as("*", "reflection"):
        inspector = inspect(conn)
        columns = inspector.get_multi_columns()
        pks = inspector.get_multi_pk_constraint()
        fks = inspector.get_multi_foreign_keys()
    return DbSchema(
        columns={key[1]: {c["name"]: _column(c) for c in cols} for key, cols in columns.items()},
        primary_keys={
            key[1]: tuple(pk.get("constrained_columns") or ()) for key, pk in pks.items()
        },
        foreign_keys=tuple(
            Link(
                key[1],
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
            )
            for key, table_fks in fks.items()
            for fk in table_fks
        ),
    )


def _column(info: Any) -> ColumnInfo:
    kind = info["type"]
    is_string = isinstance(kind, String) and not isinstance(kind, Enum)
    return ColumnInfo(
        info["name"],
        bool(info["nullable"]),
        is_string,
        getattr(kind, "length", None),
        type_family(kind),
    )


# Checked in order: Boolean before Integer (MySQL's BOOLEAN is an integer type to some dialects).
_FAMILIES: tuple[tuple[type, str], ...] = (
    (Boolean, "boolean"),
    (Integer, "integer"),
    (Numeric, "number"),
    (Float, "number"),
    (String, "text"),
    (Uuid, "uuid"),
    (DateTime, "date"),
    (Date, "date"),
    (Time, "time"),
    (Interval, "interval"),
    (LargeBinary, "binary"),
    (JSON, "json"),
)


def type_family(kind: object) -> str:
    """What a reflected column type compares as; ``other`` when unknown (never a mismatch)."""
    return next((name for base, name in _FAMILIES if isinstance(kind, base)), "other")


def comparable(first: str, second: str) -> bool:
    """Whether values of two type families can be equal (integers and numbers can)."""
    numeric = {"integer", "number"}
    return "other" in (first, second) or first == second or {first, second} <= numeric
