"""The HTTP API (FastAPI). Routes only translate: parse, call one service function, map the result."""
