"""The composition root of the HTTP side: one FastAPI app with the API and the web mounted."""

from __future__ import annotations

from fastapi import FastAPI

from privault import __version__
from privault.api.app import install_api
from privault.bootstrap import Container
from privault.web.routes import router as web_router


def create_app(container: Container) -> FastAPI:
    """Build the app around a container (the composition root decides what is inside)."""
    app = FastAPI(
        title="privault",
        version=__version__,
        description="Privacy as code: manifest, vault, consent, decisions, subject requests.",
    )
    container.webhooks_now = True  # an answer is awaited: webhooks go out after each commit
    app.state.container = container
    install_api(app, container)
    app.include_router(web_router)  # the privacy center and the landing page (server-rendered)
    return app
