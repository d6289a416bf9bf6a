"""What a tenant's privacy notice says, built from the manifest. Pure data; rendering is elsewhere."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from privault.core.child_retention import child_retention
from privault.core.children import coppa_applies
from privault.core.jurisdictions import JURISDICTIONS, RIGHT_TITLES, Right
from privault.core.law_labels import basis_citation, ccpa_applies, gdpr_applies
from privault.core.manifest.model import LawfulBasis, Purpose, RetentionRule
from privault.core.manifest.resolve import TenantView, category_sensitivity, known_categories
from privault.core.notice_ccpa import ccpa_section
from privault.core.notice_elements import (
    automated_decisions_statement,
    profiling,
    requirement,
    transfers,
)
from privault.core.redress import automated_decisions
from privault.core.retention import legal_rules, obligation_purposes
from privault.core.taxonomy import Sensitivity

LAST_UPDATED_MARK = "@@PRIVAULT_LAST_UPDATED@@"

SENSITIVITY_LABELS: dict[Sensitivity, str] = {
    Sensitivity.ORDINARY: "",
    Sensitivity.PAYMENT: "payment data",
    Sensitivity.SPECIAL: "special category data: used only as stated below",
    Sensitivity.CHILDREN: "children's data",
    Sensitivity.CPNI: "telephone account information (CPNI)",
}


def notice_content(view: TenantView) -> dict[str, Any]:
    """Everything the notice states, as plain JSON-able data (the input of both renderings)."""
    manifest, tenant = view.manifest, view.tenant
    names = known_categories(manifest)
    used = sorted({c for p in view.purposes for c in p.categories})
    gdpr = gdpr_applies(tenant.jurisdictions)
    return {
        "tenant": {"key": tenant.key, "name": tenant.name, "role": tenant.role},
        "laws": {"gdpr": gdpr, "ccpa": ccpa_applies(tenant.jurisdictions)},
        "controller": _controller(view),
        "client": tenant.client.model_dump(mode="json") if tenant.client else None,
        "organization": manifest.organization.name,
        "brands": [b.name for b in tenant.brands],
        "contact": tenant.contact.model_dump(mode="json"),
        "dpo": tenant.dpo.model_dump(mode="json") if tenant.dpo else None,
        "collected": sorted(
            (
                {
                    "key": c,
                    "name": names[c],
                    "sensitivity": category_sensitivity(manifest, c).value,
                    "label": SENSITIVITY_LABELS[category_sensitivity(manifest, c)],
                }
                for c in used
            ),
            key=lambda item: str(item["name"]).lower(),
        ),
        "sources": _sources(view),
        "purposes": [_purpose(p, names, view) for p in view.purposes],
        "recipients": [
            {
                "name": r.name,
                "type": r.type.value,
                "purposes": [_purpose_name(view, k) for k in r.purposes],
                "categories": [names.get(c, c) for c in r.categories],
                "countries": r.countries,
            }
            for r in view.recipients
        ],
        "transfers": transfers(view.recipients) if gdpr else [],
        "cookies": [c.model_dump(mode="json") for c in view.cookie_categories],
        "retention": [_retention(r, names, view) for r in view.retention],
        "rights": _rights(view),
        "withdraw_consent": [p.name for p in view.purposes if _consent_based(p)],
        "profiling": profiling(view),
        "automated_decisions": automated_decisions_statement(view),
        "jurisdictions": [_jurisdiction(k) for k in tenant.jurisdictions],
        "promises": _promises(view),
        "ccpa": ccpa_section(view) if ccpa_applies(tenant.jurisdictions) else None,
        "children": child_retention(view) if coppa_applies(tenant.jurisdictions) else None,
    }


def _controller(view: TenantView) -> dict[str, Any]:
    """Who decides why and how the data is used, and how to reach them (GDPR 13(1)(a);
    11 CCR § 7011(e)(6)): the client for a processor tenant, the tenant itself otherwise."""
    client = view.tenant.client
    if client is not None:
        contact = client.contact.model_dump(mode="json") if client.contact else None
        return {"name": client.name, "contact": contact}
    return {"name": view.tenant.name, "contact": view.tenant.contact.model_dump(mode="json")}


def _consent_based(purpose: Purpose) -> bool:
    return purpose.lawful_basis is LawfulBasis.CONSENT


def version_id(*rendered: str) -> str:
    """The content hash that identifies a notice version (over the texts as shown, sans date)."""
    digest = hashlib.sha256()
    for text in rendered:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def canonical_json(content: dict[str, Any]) -> str:
    """Stable JSON for storage and comparison."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _purpose_name(view: TenantView, key: str) -> str:
    purpose = view.purpose(key)
    return purpose.name if purpose else key


def _sources(view: TenantView) -> list[dict[str, str]]:
    wanted = {s for p in view.purposes for s in p.sources}
    return [
        {"name": s.name, "description": s.description}
        for s in view.manifest.sources
        if s.key in wanted
    ]


def _purpose(purpose: Purpose, names: dict[str, str], view: TenantView) -> dict[str, Any]:
    basis = purpose.lawful_basis
    return {
        "key": purpose.key,
        "name": purpose.name,
        "description": purpose.description,
        "kind": purpose.kind.value,
        "lawful_basis": basis.value if basis else None,
        "article": basis_citation(basis, view.tenant.jurisdictions),
        "withdraw": _consent_based(purpose),
        "required": requirement(purpose),
        "sale_or_sharing": purpose.sale_or_sharing,
        "legitimate_interest": purpose.legitimate_interest,
        "special_condition": (
            purpose.special_category_condition.value if purpose.special_category_condition else None
        ),
        "opt_out": purpose.opt_out,
        "exclusive": purpose.exclusive,
        "categories": [names.get(c, c) for c in purpose.categories],
        "retention": [
            f"{r.period} after {r.after.value.replace('_', ' ')}"
            for r in view.retention
            if purpose.key in r.purposes
        ],
    }


def _retention(rule: RetentionRule, names: dict[str, str], view: TenantView) -> dict[str, Any]:
    kept_by_law = bool(legal_rules([rule]))  # what an erasure request keeps, and for what
    return {
        "key": rule.key,
        "law": rule.law,
        "kept_on_erasure": kept_by_law,
        "only_for": (
            [_purpose_name(view, k) for k in obligation_purposes(rule, view.purposes)]
            if kept_by_law
            else []
        ),
        "description": rule.description,
        "categories": [names.get(c, c) for c in rule.categories] or ["all personal data"],
        "purposes": [_purpose_name(view, k) for k in rule.purposes],
        "period": str(rule.period),
        "after": rule.after.value.replace("_", " "),
        "action": rule.action,
    }


def _rights(view: TenantView) -> list[dict[str, Any]]:
    """The rights of the tenant's laws (a human review only where a decision is declared)."""
    rights: dict[Right, list[str]] = {}
    reviewable = bool(automated_decisions(view))
    for key in view.tenant.jurisdictions:
        for right in JURISDICTIONS[key].rights:
            if right is not Right.HUMAN_REVIEW or reviewable:
                rights.setdefault(right, []).append(JURISDICTIONS[key].name)
    return [
        {"right": r.value, "title": RIGHT_TITLES[r], "where": where}
        for r, where in sorted(rights.items(), key=lambda item: list(Right).index(item[0]))
    ]


def _jurisdiction(key: str) -> dict[str, Any]:
    j = JURISDICTIONS[key]
    return {
        "key": key,
        "name": j.name,
        "response": j.response.describe(),
        "extension": j.extension.describe() if j.extension else None,
        "authority": j.authority,
    }


def _promises(view: TenantView) -> list[str]:
    policy = view.policy
    promises = []
    if not policy.sell_personal_data:
        promises.append("We do not sell your personal data.")
    if not policy.vendors_may_market:
        promises.append(
            "Our service providers may use your data only to provide their service to us, "
            "never for their own marketing."
        )
    promises.append(
        f"We treat anyone under {policy.minor_age} as a minor: when we learn that we hold a "
        "minor's data, we stop using it and delete it."
    )
    promises.append(
        f"When your contract ends, we delete your customer data within {policy.contract_end_delete_days} "
        "days unless the law requires us to keep it."
    )
    return promises
