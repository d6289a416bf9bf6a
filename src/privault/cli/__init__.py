"""The command line: a thin Typer wrapper over the services."""
