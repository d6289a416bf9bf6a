"""privault: make a privacy policy true, and prove it."""

__version__ = "0.1.0"
