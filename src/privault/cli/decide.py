"""``privault decide``: may this subject's data be processed for this purpose now? With the reasons."""

from __future__ import annotations

import typer

from privault.cli.context import cli_actor, container, out


def decide(
    ctx: typer.Context,
    tenant: str = typer.Option(..., help="Tenant key."),
    subject: str | None = typer.Option(None, help="The subject's reference."),
    visitor: str | None = typer.Option(None, help="Or an anonymous visitor id."),
    purpose: str = typer.Option(..., help="The purpose of the processing."),
    category: list[str] = typer.Option(
        [], "--category", help="A data category (repeatable; default: all the purpose uses)."
    ),
    brand: str | None = typer.Option(None, help="For marketing: the brand it is for."),
) -> None:
    """Answer yes or no with every rule that applied; exit 0 if allowed, 10 if denied."""
    from privault.services.decisions import Question, decide_question

    if (subject is None) == (visitor is None):
        raise typer.BadParameter("give exactly one of --subject or --visitor")
    c = container(ctx)
    question = Question(purpose, subject, visitor, tuple(category), brand)
    answer = decide_question(c.deps, tenant, question, c.clock.now(), actor=cli_actor())
    out.print("allowed" if answer.allowed else "denied")
    for reason in answer.reasons:
        mark = "+" if reason.allowed else "-"
        about = f" [{reason.category}]" if reason.category else ""
        record = f" ({reason.record})" if reason.record else ""
        out.print(f"  {mark} {reason.rule}{about}: {reason.message}{record}", markup=False)
    if not answer.allowed:
        raise typer.Exit(10)
