"""Subject requests: intake, verification by one-time codes, the legal clock, and every staff action.

Each use case runs in one transaction that locks the request row, checks the move against the
workflow (``core.requests.TRANSITIONS``), writes the timeline, the audit trail and the webhook queue
together, and only then sends messages. What the requester told us (identities, agent, corrections) is
sealed with the request's own data key; the audit trail and webhooks carry references and codes only.
Fulfilment (gathering, erasing, correcting) lives in ``services.fulfilment``.

Modules: ``deps`` (settings, dependencies, shared helpers), ``deadline`` (the legal clock),
``messages``, ``workflow`` (transitions and staff actions), ``verification``, ``intake``, ``tasks``,
``reading`` (show, list, the requester's status), ``redress`` (the outcome of a complaint,
grievance or human review), ``housekeeping`` (the sweep), ``levels`` and ``declarations`` (the
CCPA verification levels, 11 CCR §7062) and ``records`` (the §7101 log and the §7102 metrics);
``events`` queues webhook events (sent after the commit with ``uow.on_commit`` where the deps ask).

The edges' two entry points sit on top of ``services.fulfilment`` (which imports this package), so
they are imported by module path: ``receive.receive_request`` (open a request, and apply at once
what needs no verification) and ``actions.take_action`` (every staff action).
"""

from privault.services.requests.deadline import allowed_rights, compute_deadline
from privault.services.requests.declarations import sign_declaration
from privault.services.requests.deps import (
    SYSTEM,
    hash_token,
    load_request,
    normalised_identities,
    open_details,
    require_staff_role,
)
from privault.services.requests.housekeeping import Swept, sweep
from privault.services.requests.intake import TOKEN_PREFIX, Opened, open_request
from privault.services.requests.messages import send_messages, to_requester
from privault.services.requests.reading import (
    RequesterStatus,
    RequestView,
    deadline_state,
    list_requests,
    requester_status,
    show_request,
)
from privault.services.requests.records import request_log, request_metrics
from privault.services.requests.redress import answer_request
from privault.services.requests.tasks import add_task, finish_task
from privault.services.requests.verification import (
    DATA_RIGHTS,
    RESEND_COOLDOWN,
    Verified,
    mark_verified,
    match_subject,
    ref_for_token,
    resend_codes,
    verify_codes,
    verify_manually,
)
from privault.services.requests.workflow import (
    close_request,
    deny_request,
    extend_request,
    pause_request,
    resume_request,
    start,
)

__all__ = [
    "DATA_RIGHTS",
    "RESEND_COOLDOWN",
    "SYSTEM",
    "TOKEN_PREFIX",
    "Opened",
    "RequestView",
    "RequesterStatus",
    "Swept",
    "Verified",
    "add_task",
    "allowed_rights",
    "answer_request",
    "close_request",
    "compute_deadline",
    "deadline_state",
    "deny_request",
    "extend_request",
    "finish_task",
    "hash_token",
    "list_requests",
    "load_request",
    "mark_verified",
    "match_subject",
    "normalised_identities",
    "open_details",
    "open_request",
    "pause_request",
    "ref_for_token",
    "request_log",
    "request_metrics",
    "requester_status",
    "require_staff_role",
    "resend_codes",
    "resume_request",
    "send_messages",
    "show_request",
    "sign_declaration",
    "start",
    "sweep",
    "to_requester",
    "verify_codes",
    "verify_manually",
]
