"""Shared CLI plumbing: the container from the Typer context, and the consoles."""

from __future__ import annotations

import typer
from rich.console import Console

from privault.bootstrap import Container

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def container(ctx: typer.Context) -> Container:
    """The container built by the root callback."""
    root = ctx.find_root()
    built: Container = root.obj
    return built
