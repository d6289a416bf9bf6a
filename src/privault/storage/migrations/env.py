"""Alembic environment: privault passes the connection in; no ini file, no URL here."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from privault.storage.migrate import for_this_engine
from privault.storage.tables import Base, UtcDateTime


def render_item(type_: str, obj: Any, _autogen_context: Any) -> str | Literal[False]:
    """Render our UTC datetime type as the plain column type it stores as."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
    include_object=for_this_engine(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
