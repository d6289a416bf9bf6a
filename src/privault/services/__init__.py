"""Use cases: plain functions taking a unit of work. The only thing the edges (API, CLI, web) call."""
