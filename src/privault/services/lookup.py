"""Looking a person up by email or phone for a stated purpose (the admin console's subject lookup).

The lookup itself is audited (``vault:subject:lookup``: the kind of identity, the purpose, how many
were found; never the identity) in the same transaction as the reads it leads to, which go through the
vault's read path (``services.vault.read_subjects``): each value is shown only if the role's grants
and the processing decision allow it for the purpose, and each read is audited. With the subjects come
their consent state and, for admin roles, their open requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from privault.core.access import Principal
from privault.core.consent import State, load_state
from privault.core.requests import RequestRecord
from privault.errors import Forbidden, InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests import list_requests
from privault.services.vault import SubjectView, VaultContext, read_subjects

KINDS = ("email", "phone")


@dataclass(frozen=True, slots=True)
class Found:
    """One person found: what the role may see, their consent state, their open requests."""

    view: SubjectView
    consent: State
    requests: list[tuple[RequestRecord, str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a lookup returned; ``denied`` is the rule when nothing at all may be shown, and
    ``hidden`` the rules of each other person found of whom nothing may be shown (never named)."""

    kind: str
    purpose: str
    found: list[Found]
    denied: str | None = None
    hidden: list[str] = field(default_factory=list)


def _check(ctx: VaultContext, kind: str, value: str, purpose: str) -> None:
    """Refuse a lookup without a known purpose or a usable identity, before anything is read."""
    if not purpose.strip():
        raise InvalidInput(
            "say why you are looking this person up: choose a purpose", code="lookup.invalid"
        )
    if ctx.view.purpose(purpose) is None:
        raise NotFound(
            f"tenant '{ctx.tenant_key}' has no purpose '{purpose}'", code="purpose.unknown"
        )
    if kind not in KINDS:
        raise InvalidInput("look people up by email or phone", code="lookup.invalid")
    if not value.strip():
        raise InvalidInput(f"enter the {kind} to look up", code="lookup.invalid")


def look_up(
    deps: Deps,
    principal: Principal,
    kind: str,
    value: str,
    purpose: str,
    *,
    with_requests: bool,
) -> Lookup:
    """Find the subjects with this email or phone and read them for ``purpose`` (audited)."""
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    _check(ctx, kind, value, purpose)
    index = ctx.index(kind, value)
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        ids = sorted({subject_id for _, subject_id in uow.subjects.find(kind, [index])})
        details = {"kind": kind, "found": len(ids)}
        entry = Entry(principal.actor, "vault:subject:lookup", None, purpose, "ok", details)
        record(uow, [entry], deps.clock.now())
        if not ids:
            uow.commit()
            return Lookup(kind, purpose, [])
        uids = {s.uid: s.id for s in uow.subjects.get_many(ids)}
        try:
            views = read_subjects(uow, deps, principal, ids, purpose)  # commits the lookup too
        except Forbidden as exc:
            return Lookup(kind, purpose, [], denied=exc.message)
    shown = {uids[v.uid]: v for v in views if v.data or v.identities}
    hidden = [_why_hidden(v) for v in views if not (v.data or v.identities)]
    found = _around(deps, principal, shown, with_requests=with_requests) if shown else []
    return Lookup(kind, purpose, found, hidden=hidden)


def _why_hidden(view: SubjectView) -> str:
    """The rules that withhold everything of a person (nothing else of them is shown)."""
    return "; ".join(dict.fromkeys(w.rule for w in view.withheld)) or "nothing is held"


def _around(
    deps: Deps,
    principal: Principal,
    views: dict[int, SubjectView],
    *,
    with_requests: bool,
) -> list[Found]:
    """Each subject with its consent state and (for admin roles) its open requests."""
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        states = uow.consent.states([f"s:{i}" for i in views])
    open_ones = list_requests(deps, principal.tenant_key, open_only=True) if with_requests else []
    return [
        Found(
            view,
            load_state(states[f"s:{i}"][0]) if f"s:{i}" in states else {},
            [row for row in open_ones if row[0].subject_id == i],
        )
        for i, view in views.items()
    ]
