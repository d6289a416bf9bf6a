"""The processing decision over HTTP: a batch of questions in, a batch of answers out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from privault.core.decisions import Decision, Reason
from privault.http.deps import ContainerDep, PrincipalDep
from privault.services.decisions import MAX_BATCH, Question, decide_many

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


class QuestionIn(BaseModel):
    """May this subject's (or visitor's) data of these categories be used for this purpose now?"""

    subject: str | None = Field(default=None, examples=["cust-1"])
    visitor: str | None = None
    purpose: str = Field(examples=["marketing-sms"])
    categories: list[str] = Field(
        default_factory=list, description="Default: all the purpose uses."
    )
    brand: str | None = Field(default=None, description="For marketing: the brand it is for.")


class DecisionsIn(BaseModel):
    """A batch of questions."""

    questions: list[QuestionIn] = Field(min_length=1, max_length=MAX_BATCH)


class ReasonOut(BaseModel):
    """One rule that applied."""

    rule: str
    allowed: bool
    message: str
    record: str | None
    category: str | None


class AnswerOut(BaseModel):
    """The answer to one question."""

    allowed: bool
    reasons: list[ReasonOut]


class DecisionsOut(BaseModel):
    """Answers in the order of the questions."""

    answers: list[AnswerOut]


_FRAGMENTS: dict[Reason, str] = {}


def _fragment(reason: Reason) -> str:
    """The JSON of a reason, remembered (reasons repeat: they are built from a few thousand rules)."""
    text = _FRAGMENTS.get(reason)
    if text is None:
        if len(_FRAGMENTS) > 100_000:
            _FRAGMENTS.clear()
        text = _FRAGMENTS[reason] = json.dumps(
            {
                "rule": reason.rule,
                "allowed": reason.allowed,
                "message": reason.message,
                "record": reason.record,
                "category": reason.category,
            },
            separators=(",", ":"),
        )
    return text


def _encode(answers: Sequence[Decision]) -> bytes:
    """The response body, written directly (the answers are plain data privault built)."""
    parts = [
        f'{{"allowed":{"true" if a.allowed else "false"},"reasons":[{",".join(map(_fragment, a.reasons))}]}}'
        for a in answers
    ]
    return f'{{"answers":[{",".join(parts)}]}}'.encode()


class _Batch(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    questions: Annotated[list[Question], Field(min_length=1, max_length=MAX_BATCH)]


# Validated straight from the JSON bytes into the service's own Question objects: about ten times
# faster than building a model per question, for the same checks (DecisionsIn documents the shape).
_BATCH = TypeAdapter(_Batch)


def _parse(body: bytes) -> list[Question]:
    try:
        return _BATCH.validate_json(body)["questions"]
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_input=False)) from exc


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local ``#/$defs/...`` references replaced by what they name."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


_BODY_SCHEMA = DecisionsIn.model_json_schema()
_BODY_SCHEMA = _inline(_BODY_SCHEMA, _BODY_SCHEMA.get("$defs", {}))


@router.post(
    "",
    response_model=DecisionsOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA}},
        }
    },
)
async def decide(request: Request, principal: PrincipalDep, container: ContainerDep) -> Response:
    """Answer each question with allowed or not and every reason (the rule and the record behind it).

    The body is a ``DecisionsIn``: ``{"questions": [{"subject", "purpose", "categories", "brand"}]}``.
    """
    questions = _parse(await request.body())
    answers = await run_in_threadpool(
        decide_many,
        container.deps,
        principal.tenant_key,
        principal.tenant_id,
        questions,
        container.clock.now(),
        actor=principal.actor,
    )
    return Response(_encode(answers), media_type="application/json")
