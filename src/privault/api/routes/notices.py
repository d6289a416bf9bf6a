"""The privacy notice: public, per tenant, every version kept."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from privault.core.records import NoticeVersionRecord
from privault.errors import NotFound
from privault.http.deps import ContainerDep
from privault.services.notices import get_notice_version, notice_history

router = APIRouter(prefix="/v1/tenants/{tenant}/notice", tags=["notice"])

Format = Literal["md", "html"]


class NoticeVersion(BaseModel):
    """One published version of the notice."""

    version_id: str
    seq: int
    published_on: date


def _summary(record: NoticeVersionRecord) -> NoticeVersion:
    return NoticeVersion(
        version_id=record.version_id, seq=record.seq, published_on=record.published_on
    )


def _text(record: NoticeVersionRecord, fmt: Format) -> Response:
    body, media = (record.markdown, "text/markdown") if fmt == "md" else (record.html, "text/html")
    headers = {
        "X-Notice-Version": record.version_id,
        "Last-Modified": record.published_on.isoformat(),
    }
    return Response(body, media_type=f"{media}; charset=utf-8", headers=headers)


@router.get("", response_class=Response)
def current_notice(
    tenant: str, container: ContainerDep, format: Format = Query("html")
) -> Response:
    """The current notice as HTML or Markdown; the version id is in the X-Notice-Version header."""
    history = notice_history(container.deps, tenant)
    if not history:
        raise NotFound(
            f"tenant '{tenant}' has no published notice yet", code="notice.version_unknown"
        )
    return _text(history[0], format)


@router.get("/versions", response_model=list[NoticeVersion])
def versions(tenant: str, container: ContainerDep) -> list[NoticeVersion]:
    """Every published version, newest first."""
    return [_summary(r) for r in notice_history(container.deps, tenant)]


@router.get("/versions/{version}", response_class=Response)
def version(
    tenant: str, version: str, container: ContainerDep, format: Format = Query("html")
) -> Response:
    """One earlier version exactly as it was shown."""
    return _text(get_notice_version(container.deps, tenant, version), format)
