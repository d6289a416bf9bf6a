"""The web's router: the landing page, every privacy-center page and the cookie banner script."""

from __future__ import annotations

from fastapi import APIRouter

from privault.web import banner, notice, preferences, requests

router = APIRouter(include_in_schema=False)
for _part in (notice.router, requests.router, preferences.router, banner.router):
    router.include_router(_part)
