"""Background work: a job queue in the database, a scheduler for periodic jobs, and the worker."""
