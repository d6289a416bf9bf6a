"""Rules only: no I/O, no storage, no web. Everything here is plain data and pure functions."""
