"""The web's router: the landing page, every privacy-center page, the cookie banner script and the
admin console."""

from __future__ import annotations

from fastapi import APIRouter

from privault.web import admin, banner, notice, preferences, requests

router = APIRouter(include_in_schema=False)
for _part in (notice.router, requests.router, preferences.router, banner.router, admin.router):
    router.include_router(_part)
