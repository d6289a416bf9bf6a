"""The composition root of the HTTP side: one FastAPI app with the API and the web mounted."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from privault import __version__
from privault.api.app import check_limits, install_api
from privault.bootstrap import Container
from privault.web.pages import error_page
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
    page = partial(error_page, container.renderer)  # what a browser gets for a refused body
    install_api(app, container, page)  # with the size and abuse limits (docs/limits.md)
    app.include_router(web_router)  # the privacy center and the landing page (server-rendered)
    return app


def check_processes(container: Container, processes: int) -> None:
    """Refuse to serve with several processes that would each count the abuse limits alone, or
    with a store of the limits that does not answer (ConfigurationError; nothing is written)."""
    check_limits(container, processes)
