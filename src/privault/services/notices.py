"""Publishing the privacy notice: render from the manifest, version by content, store every version."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Literal

from privault.core.manifest.resolve import tenant_view
from privault.core.notice import LAST_UPDATED_MARK, canonical_json, notice_content, version_id
from privault.core.notice_review import (
    RECONSENT,
    ReviewState,
    reconsent_marks,
    reconsent_purposes,
    review_due,
    review_state,
)
from privault.core.ports import UnitOfWork
from privault.core.records import NoticeVersionRecord
from privault.core.rendering import Renderer
from privault.errors import NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

NoticeFormat = Literal["md", "html"]


@dataclass(frozen=True, slots=True)
class PublishedNotice:
    """A notice version, whether this call created it, and the consent-based purposes it marked
    for re-consent (CCPA-PP-1)."""

    record: NoticeVersionRecord
    created: bool
    reconsent: tuple[str, ...] = ()

    def text(self, fmt: NoticeFormat) -> str:
        """The stored text in the requested format."""
        return self.record.markdown if fmt == "md" else self.record.html


def _render(renderer: Renderer, template: str, content: dict[str, object]) -> str:
    context = {"c": content, "last_updated": LAST_UPDATED_MARK}
    text = renderer.render(f"notice/{template}", context)
    return _tidy(text) if template.endswith(".md.j2") else text


def _tidy(markdown: str) -> str:
    """Collapse the blank lines template blocks leave behind."""
    lines, blank = [], 0
    for line in markdown.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def publish_notice(deps: Deps, tenant_key: str, actor: str = "system") -> PublishedNotice:
    """Render the tenant's notice; store a new version only if its content changed."""
    with deps.make_uow() as uow:
        return _publish(uow, deps, tenant_key, actor)


def _publish(uow: UnitOfWork, deps: Deps, tenant_key: str, actor: str) -> PublishedNotice:
    """Render, compare with the latest version, and store and audit a changed one (commits)."""
    tenant = bind_tenant(uow, tenant_key)
    content = notice_content(tenant_view(deps.manifest, tenant_key))
    markdown = _render(deps.renderer, "notice.md.j2", content)
    html = _render(deps.renderer, "notice.html.j2", content)
    vid = version_id(markdown, html)
    latest = uow.notices.latest()
    if latest is not None and latest.version_id == vid:
        return PublishedNotice(latest, created=False)
    clock = deps.clock
    today = clock.now().date().isoformat()
    reconsent = reconsent_purposes(json.loads(latest.content_json) if latest else None, content)
    version = NoticeVersionRecord(
        tenant_id=tenant.id,
        seq=(latest.seq + 1) if latest else 1,
        version_id=vid,
        published_on=clock.now().date(),
        content_json=canonical_json(content | {RECONSENT: reconsent}),
        markdown=markdown.replace(LAST_UPDATED_MARK, today),
        html=html.replace(LAST_UPDATED_MARK, today),
        created_at=clock.now(),
    )
    uow.notices.add(version)
    details = {"version": vid, "seq": version.seq, RECONSENT: reconsent}
    record(uow, [Entry(actor, "config:notice:publish", details=details)], clock.now())
    uow.commit()
    return PublishedNotice(version, created=True, reconsent=tuple(reconsent))


@dataclass(frozen=True, slots=True)
class NoticeReview:
    """Whether the notice is current (CCPA-PP-1), and which purposes need re-consent since which
    version (a consent recorded under an earlier version does not cover the present wording)."""

    published_on: date | None
    review_due: date | None
    state: ReviewState | Literal["unpublished"]
    reconsent: dict[str, str]  # purpose -> the version that marked it


def current_notice_review(deps: Deps, tenant_key: str) -> NoticeReview:
    """``notice_review`` today (by ``deps.clock``), in its own unit of work."""
    with deps.make_uow() as uow:
        return notice_review(uow, tenant_key, deps.clock.now().date())


def notice_review(uow: UnitOfWork, tenant_key: str, today: date) -> NoticeReview:
    """The latest version's age against the 12 months, and the purposes marked for re-consent
    (a step: ``services.dashboard`` composes it in its transaction)."""
    bind_tenant(uow, tenant_key)
    versions = list(uow.notices.history())
    if not versions:
        return NoticeReview(None, None, "unpublished", {})
    marks = {purpose: mark.version_id for purpose, mark in reconsent_marks(versions).items()}
    latest = versions[0].published_on
    return NoticeReview(latest, review_due(latest), review_state(latest, today), marks)


def notice_history(deps: Deps, tenant_key: str) -> list[NoticeVersionRecord]:
    """Every published version of the tenant's notice, newest first."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return list(uow.notices.history())


def get_notice_version(deps: Deps, tenant_key: str, version: str) -> NoticeVersionRecord:
    """One version by its id (or a unique prefix of it)."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        record = uow.notices.by_version_id(version)
    if record is None:
        raise NotFound(f"no notice version '{version}'", code="notice.version_unknown")
    return record
