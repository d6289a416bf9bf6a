"""SQL storage: tables, engines, the unit of work and the migrations (SQLite and PostgreSQL)."""
