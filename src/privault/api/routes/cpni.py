"""CPNI on an inbound call over HTTP (47 CFR 64.2010(b)): what an agent desktop calls to show a caller.

Call detail is shown only after the caller's password passes; otherwise it is withheld and the answer
names the alternatives the rule allows (send to the address of record, call back the number of record).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from privault.core.secrets import Secret
from privault.http.deps import ContainerDep, PrincipalDep
from privault.services.cpni import inbound_call
from privault.services.vault_json import SubjectOut, subject_out

router = APIRouter(prefix="/v1/cpni", tags=["cpni"])


class CallIn(BaseModel):
    """The caller, why the agent looks, and the password the caller gave (if any)."""

    subject: str = Field(min_length=1, max_length=200)
    purpose: str = Field(min_length=1, max_length=120)
    password: str | None = Field(default=None, max_length=200, repr=False)


class CallOut(BaseModel):
    """The caller as the role may see them; call detail only if the password passed."""

    caller: SubjectOut
    password: str = Field(description="passed, failed, not_given or none_on_file")
    withheld_call_detail: list[str]
    alternatives: list[str]


@router.post("/inbound-call", response_model=CallOut)
def inbound(body: CallIn, principal: PrincipalDep, container: ContainerDep) -> CallOut:
    """Show a caller on an inbound call; the password check is audited (``cpni:call_detail``)."""
    given = Secret(body.password) if body.password is not None else None
    seen = inbound_call(container.deps, principal, body.subject, body.purpose, given)
    return CallOut(
        caller=subject_out(seen.view),
        password=seen.password,
        withheld_call_detail=seen.masked,
        alternatives=seen.alternatives,
    )
