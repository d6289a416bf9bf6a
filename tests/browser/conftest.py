"""The real app served by uvicorn on a free port over SQLite, a tiny test site embedding the banner,
and Debian's Chromium driven by Playwright (it cannot download browsers here)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Playwright, sync_playwright

from privault.bootstrap import Container
from privault.config import Settings
from privault.http.app import create_app
from privault.services.setup import apply_manifest, template_text
from privault.services.staff import create_staff, list_staff

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).parent / "artifacts"
STAFF_TENANT = "bluewave"
STAFF_USERNAME = "officer"
STAFF_PASSWORD = "correct horse battery staple"
SITE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test site</title>
<script src="/v1/tenants/{tenant}/banner.js" defer></script></head>
<body><main><h1>A tenant site</h1><p>A page of the tenant's own website.</p>
<button type="button" data-privault-preferences>Cookie settings</button></main>
<script type="text/plain" data-category="statistics">window.statsRan = true</script>
<script type="text/plain" data-category="marketing">window.marketingRan = true</script>
</body></html>
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_site(app: FastAPI) -> FastAPI:
    @app.get("/test-site/{tenant}", response_class=HTMLResponse, include_in_schema=False)
    def site(tenant: str) -> HTMLResponse:
        return HTMLResponse(SITE.replace("{tenant}", tenant))

    return app


@contextmanager
def manifest_container(data: Path, manifest_text: str, template_db: Path) -> Iterator[Container]:
    """A container on a copy of the migrated SQLite file in ``data`` with this manifest applied."""
    (data / "privault.yaml").write_text(manifest_text, encoding="utf-8")
    shutil.copy(template_db, data / "privault.db")
    settings = Settings(
        data_dir=data, database_url=f"sqlite:///{data / 'privault.db'}", log_format="console"
    )
    container = Container(settings)
    apply_manifest(container.deps)
    yield container
    container.close()


@pytest.fixture(scope="session")
def browser_container(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template_db: Path
) -> Iterator[Container]:
    """A container on a migrated SQLite file with the template manifest applied."""
    data = tmp_path_factory.mktemp("browser-data")
    with manifest_container(data, template_text("contact-centre"), sqlite_template_db) as made:
        yield made


@pytest.fixture(scope="session")
def server(browser_container: Container) -> Iterator[str]:
    """The app (plus the test site) served by uvicorn in a background thread; yields its base URL."""
    with serve(browser_container) as url:
        yield url


@contextmanager
def serve(container: Container) -> Iterator[str]:
    """Serve the app (plus the test site) with uvicorn in a background thread; yield its base URL."""
    port = _free_port()
    app = _with_site(create_app(container))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium (installed by scripts/install-browser.sh)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where each case saves its screenshot."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def staff_login(browser_container: Container) -> tuple[str, str, str]:
    """The officer's console login in bluewave (role privacy-officer, an admin role), created once:
    (organisation, username, password)."""
    if not any(
        s.username == STAFF_USERNAME for s in list_staff(browser_container.deps, STAFF_TENANT)
    ):
        create_staff(
            browser_container.deps,
            STAFF_TENANT,
            STAFF_USERNAME,
            "privacy-officer",
            STAFF_PASSWORD,
            "test",
        )
    return STAFF_TENANT, STAFF_USERNAME, STAFF_PASSWORD
