"""Which function runs each kind of job."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from privault.jobs.context import JobContext
from privault.services.audit_verify import verify as verify_audit
from privault.services.jobs import save_progress
from privault.services.notices import current_notice_review
from privault.services.requests import sweep as sweep_requests
from privault.services.retention import sweep as sweep_retention
from privault.services.retention_dormancy import notify_dormant
from privault.services.retention_erasure import erase_due_now, erase_whole_subject
from privault.services.retention_subjects import discover_minors
from privault.services.visits import anonymise_due_visits
from privault.services.webhooks import deliver_due

Handler = Callable[[JobContext], None]
log = structlog.get_logger(__name__)


def _requests_sweep(ctx: JobContext) -> None:
    """Close unverified requests, flag deadlines, purge old records and packages."""
    sweep_requests(ctx.container.deps, ctx.tenant_key)


def _webhooks_deliver(ctx: JobContext) -> None:
    """Send the webhook deliveries that are due."""
    deliver_due(ctx.container.deps, ctx.tenant_key)


def _retention_sweep(ctx: JobContext) -> None:
    """Suppress newly found minors, tell dormant people of a DPDP platform (DPDP-ERA-1), sweep what
    is due (continuing from the job's cursor), anonymise the visit log past its retention, then warn
    if the notice needs its yearly review (idempotent: safe to repeat after a take-over)."""
    c = ctx.container
    discover_minors(c.deps, ctx.tenant_key)
    notify_dormant(c.deps, ctx.tenant_key)  # DPDP-ERA-1, declared platforms only
    sweep_retention(
        c.deps,
        ctx.tenant_key,
        batch_size=c.settings.retention_batch_size,
        progress=ctx.progress,
        checkpoint=ctx.checkpoint,
    )
    anonymise_due_visits(c.deps, ctx.tenant_key)
    _notice_review(ctx)


def _notice_review(ctx: JobContext) -> None:
    """Warn, daily, when the privacy notice is 11 months old or more (CCPA-PP-1)."""
    review = current_notice_review(ctx.container.deps, ctx.tenant_key)
    if review.state in ("review_soon", "overdue"):
        log.warning(
            "privacy notice review due",
            tenant=ctx.tenant_key,
            state=review.state,
            due=review.review_due.isoformat() if review.review_due else None,
            rule="CCPA-PP-1",
        )


def _subject_erase(ctx: JobContext) -> None:
    """Erase a subject whose contract end, minority or dormancy made it due (a held subject is kept: the job
    records ``kept`` as its outcome, and the daily sweep checks again)."""
    payload = ctx.job.payload
    if "outcome" in ctx.progress:  # taken over after it finished its work: nothing left to do
        return
    erase_whole_subject(
        ctx.container.deps,
        ctx.tenant_key,
        str(payload["subject"]),
        str(payload.get("reason", "contract_end")),
        after=lambda uow, ended: ctx.checkpoint(uow, {"outcome": ended.outcome}),
    )


def _subjects_erase_due(ctx: JobContext) -> None:
    """Erase the tenant's subjects whose contract end or minority makes them due today, in batches
    (held ones kept and audited, the law's share kept); outcomes counted in the job's progress."""
    erase_due_now(ctx.container.deps, ctx.tenant_key, ctx.progress, ctx.checkpoint)


def _audit_verify(ctx: JobContext) -> None:
    """Verify the tenant's whole audit log (``privault audit verify --full`` queues it), saving how
    many events were checked as it goes and the result at the end."""
    deps = ctx.container.deps

    def checked(count: int) -> None:
        save_progress(deps, ctx.held, {"checked": count})

    report = verify_audit(deps, ctx.tenant_key, full=True, progress=checked)
    problems = [{"seq": p.seq, "kind": p.kind.value, "message": p.message} for p in report.problems]
    result = {"checked": report.events, "ok": report.ok, "unsealed": report.unsealed}
    save_progress(deps, ctx.held, {**result, "late": report.late, "problems": problems})
    if not report.ok:
        log.error("audit log verification failed", tenant=ctx.tenant_key, problems=len(problems))


HANDLERS: dict[str, Handler] = {
    "audit.verify": _audit_verify,
    "requests.sweep": _requests_sweep,
    "webhooks.deliver": _webhooks_deliver,
    "retention.sweep": _retention_sweep,
    "subject.erase": _subject_erase,
    "subjects.erase_due": _subjects_erase_due,
}


def register(kind: str, handler: Handler) -> None:
    """Add a kind of job (modules of other features call this at import)."""
    HANDLERS[kind] = handler
