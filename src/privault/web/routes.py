"""The web's router: the landing page and every privacy-center page."""

from __future__ import annotations

from fastapi import APIRouter

from privault.web import notice, preferences, requests

router = APIRouter(include_in_schema=False)
for _part in (notice.router, requests.router, preferences.router):
    router.include_router(_part)
