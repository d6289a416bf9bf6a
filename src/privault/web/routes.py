"""The web's router: the landing page, every privacy-center page, the cookie banner script and the
admin console."""

from __future__ import annotations

from fastapi import APIRouter

from privault.web import admin, agents, banner, notice, preferences, requests

router = APIRouter(include_in_schema=False)
_PARTS = (notice.router, requests.router, agents.router, preferences.router, banner.router)
for _part in (*_PARTS, admin.router):
    router.include_router(_part)
