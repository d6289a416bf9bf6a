"""Records of processing activities (GDPR Art. 30), built from the manifest and from what the system
actually holds and discloses. Pure: the caller brings the facts (counts, disclosures, assessments).

A controller tenant gets the controller record, Art. 30(1)(a)-(g); a processor tenant (a BPO working
for a client company) gets the processor record, Art. 30(2)(a)-(d), kept per client controller. Both
list every purpose the tenant declares with its lawful basis, categories, recipients, transfers and
retention, so the gaps (no basis, no retention rule, a transfer without a safeguard, a purpose that
needs an impact assessment and has no approved one) show.

**Transfers.** A recipient country is a transfer when it lies outside the tenant's home region:

- tenants with an ``eu`` or ``uk`` jurisdiction: outside the EU/EEA, the United Kingdom and the
  countries with an EU adequacy decision (``ADEQUATE``). The United States counts as a transfer: its
  adequacy (the Data Privacy Framework) covers certified organisations only, which the manifest does
  not record, so the safeguard must be named;
- other tenants: outside the countries of their jurisdictions (``us`` and ``us-ca``: US; ``ca`` and
  ``ca-qc``: CA; ``in``: IN).

The safeguard shown is the recipient's contract reference, else "data processing agreement" when
``contract.dpa`` is set, else nothing (flagged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from privault.core.jurisdictions import JURISDICTIONS
from privault.core.manifest.model import (
    LAWFUL_BASIS_ARTICLE,
    Contact,
    Purpose,
    Recipient,
    RetentionRule,
)
from privault.core.manifest.resolve import TenantView, known_categories
from privault.core.records_ports import DisclosureCount, DpiaRecord, Holding
from privault.core.taxonomy import fides_data_subjects, is_within
from privault.core.transfers import ADEQUATE, EEA

SPECIAL_ARTICLE = {
    "explicit_consent": "Art. 9(2)(a)",
    "employment": "Art. 9(2)(b)",
    "vital_interests": "Art. 9(2)(c)",
    "not_for_profit": "Art. 9(2)(d)",
    "made_public": "Art. 9(2)(e)",
    "legal_claims": "Art. 9(2)(f)",
    "substantial_public_interest": "Art. 9(2)(g)",
    "health_care": "Art. 9(2)(h)",
    "public_health": "Art. 9(2)(i)",
    "archiving_research": "Art. 9(2)(j)",
}
SECURITY_MEASURES: tuple[str, ...] = (
    "Envelope encryption: every personal-data value is encrypted (AES-256-GCM) with a data key of "
    "its own subject, itself wrapped by the tenant's key-encryption key; erasure destroys the "
    "subject's key (crypto-shredding).",
    "Blind indexes: identities are looked up through keyed HMAC indexes, never stored in clear.",
    "Least privilege: every read states a purpose; roles grant actions on categories for purposes, "
    "and everything else is denied by default.",
    "Tamper-evident audit: every read, change, disclosure and decision is written to a hash chain in "
    "the same transaction, with signed checkpoints that `privault audit verify` checks.",
    "Tenant isolation: every query is scoped to one tenant, each with its own keys.",
    "Retention: rules per category and purpose are enforced by a sweeper; legal holds stop it.",
)
CONTROLLER_FIELDS = {
    "30(1)(a)": "controller, dpo, representative",
    "30(1)(b)": "purposes[].name, purposes[].description, purposes[].lawful_basis",
    "30(1)(c)": "purposes[].data_subjects, purposes[].categories",
    "30(1)(d)": "purposes[].recipients, recipients[]",
    "30(1)(e)": "purposes[].transfers, transfers[]",
    "30(1)(f)": "purposes[].retention",
    "30(1)(g)": "security_measures",
}
PROCESSOR_FIELDS = {
    "30(2)(a)": "processor, controller, dpo, representative",
    "30(2)(b)": "purposes[] (the processing carried out on behalf of the controller)",
    "30(2)(c)": "purposes[].transfers, transfers[]",
    "30(2)(d)": "security_measures",
}


@dataclass(frozen=True, slots=True)
class Party:
    """A controller, processor or DPO with its contact details."""

    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    @classmethod
    def of(cls, name: str | None, contact: Contact | None) -> Party:
        """From a manifest contact (its own name wins when the caller has none)."""
        if contact is None:
            return cls(name or "not recorded")
        return cls(
            name or contact.name or contact.email, contact.email, contact.phone, contact.address
        )


@dataclass(frozen=True, slots=True)
class Named:
    """A key with its human name."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """Personal data going to a country outside the home region, and what makes it lawful."""

    recipient: str
    country: str
    safeguard: str | None


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    """A recipient as the record shows it, with what it has actually received."""

    key: str
    name: str
    type: str
    countries: tuple[str, ...]
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    contract: str
    disclosures: int
    subjects_disclosed: int
    last_disclosure_at: datetime | None


@dataclass(frozen=True, slots=True)
class RetentionLine:
    """How long data of a purpose is kept, by which rule."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class HeldCategory:
    """Values and subjects held for a purpose in one category."""

    category: str
    name: str
    subjects: int
    values: int


@dataclass(frozen=True, slots=True)
class PurposeEntry:
    """One processing activity: a purpose with everything Art. 30 asks about it."""

    key: str
    name: str
    description: str
    lawful_basis: str | None
    basis_article: str | None
    legitimate_interest: str | None
    special_condition: str | None
    data_subjects: tuple[Named, ...]
    categories: tuple[Named, ...]
    recipients: tuple[Named, ...]
    transfers: tuple[Transfer, ...]
    retention: tuple[RetentionLine, ...]
    requires_dpia: bool
    dpia: str  # "not required", "approved (review by ...)", "missing", "expired ..."
    subjects_held: int
    values_held: int
    held: tuple[HeldCategory, ...]


@dataclass(frozen=True, slots=True)
class Ropa:
    """The whole record of one tenant."""

    tenant: str
    tenant_name: str
    record: str  # controller | processor
    article: str
    generated_at: datetime
    organization: Party
    controller: Party
    processor: Party | None
    dpo: Party | None
    home_region: str
    purposes: tuple[PurposeEntry, ...]
    recipients: tuple[RecipientEntry, ...]
    transfers: tuple[Transfer, ...]
    security_measures: tuple[str, ...]
    subjects_held: int
    dpia_missing: tuple[str, ...]
    gaps: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the system holds and has done, as the ROPA reports it."""

    holdings: Sequence[Holding] = ()
    subjects_by_purpose: dict[str, int] = field(default_factory=dict)
    subjects_held: int = 0
    disclosures: Sequence[DisclosureCount] = ()
    dpias: Sequence[DpiaRecord] = ()


# --- DPIAs --------------------------------------------------------------------------------------


def dpia_state(purpose: str, dpias: Sequence[DpiaRecord], today: date) -> str:
    """The assessment state of a purpose: approved until its review date, expired, or missing."""
    approved = [d for d in dpias if d.purpose == purpose and d.status == "approved"]
    current = [d for d in approved if d.review_on is None or d.review_on >= today]
    if current:
        latest = max(current, key=lambda d: (d.review_on or date.max, d.id))
        review = latest.review_on.isoformat() if latest.review_on else "no date"
        return f"approved (DPIA {latest.id}, review by {review})"
    if approved:
        last = max(approved, key=lambda d: d.review_on or date.min)
        return f"expired (DPIA {last.id}, review was due {last.review_on})"
    return "missing"


def missing_dpias(view: TenantView, dpias: Sequence[DpiaRecord], today: date) -> list[str]:
    """Purposes that require an assessment and have no approved, unexpired one (GDPR-DPIA-1)."""
    return [
        p.key
        for p in view.purposes
        if p.requires_dpia and not dpia_state(p.key, dpias, today).startswith("approved")
    ]


# --- transfers ----------------------------------------------------------------------------------


def home_region(view: TenantView) -> tuple[str, frozenset[str]]:
    """The tenant's home region: its name and the countries in it (see the module docstring)."""
    keys = set(view.tenant.jurisdictions)
    if keys & {"eu", "uk"}:
        return "EU/EEA, UK and adequate countries", EEA | ADEQUATE
    countries = frozenset(JURISDICTIONS[k].holiday_country for k in keys if k in JURISDICTIONS)
    return ", ".join(sorted(countries)) or "none declared", countries


def safeguard(recipient: Recipient) -> str | None:
    """What makes a transfer to this recipient lawful, as the manifest records it."""
    if recipient.contract.reference:
        return recipient.contract.reference
    return "data processing agreement" if recipient.contract.dpa else None


def transfers_of(recipients: Sequence[Recipient], home: frozenset[str]) -> tuple[Transfer, ...]:
    """Every recipient country outside the home region."""
    return tuple(
        Transfer(r.key, country, safeguard(r))
        for r in recipients
        for country in r.countries
        if country not in home
    )


# --- purposes -----------------------------------------------------------------------------------


def _overlaps(a: Sequence[str], b: Sequence[str]) -> bool:
    return any(is_within(x, y) or is_within(y, x) for x in a for y in b)


def _rule_applies(rule: RetentionRule, purpose: Purpose) -> bool:
    if rule.purposes:
        return purpose.key in rule.purposes
    return not rule.categories or _overlaps(rule.categories, purpose.categories)


def retention_of(view: TenantView, purpose: Purpose) -> tuple[RetentionLine, ...]:
    """The tenant's retention rules for a purpose, and the lifetime of the cookies it relies on."""
    lines = [
        RetentionLine(
            r.key,
            f"{', '.join(r.categories) or 'all categories'}: {r.action} {r.period} after "
            f"{r.after.value.replace('_', ' ')}" + (f" ({r.description})" if r.description else ""),
        )
        for r in view.retention
        if _rule_applies(r, purpose)
    ]
    cookies = next((c for c in view.cookie_categories if c.key == purpose.cookie_category), None)
    if cookies is not None and cookies.cookies:
        lifetimes = ", ".join(f"{k.name} {k.duration or 'unstated'}" for k in cookies.cookies)
        lines.append(RetentionLine(f"cookies:{cookies.key}", f"cookies expire: {lifetimes}"))
    return tuple(lines)


def _subject_names(view: TenantView) -> dict[str, str]:
    names = dict(fides_data_subjects())
    names.update({s.key: s.name or s.key for s in view.manifest.data_subjects})
    return names


def _held(purpose: str, facts: Facts, names: dict[str, str]) -> tuple[HeldCategory, ...]:
    return tuple(
        HeldCategory(h.category, names.get(h.category, h.category), h.subjects, h.values)
        for h in facts.holdings
        if h.purpose == purpose
    )


def purpose_entry(view: TenantView, purpose: Purpose, facts: Facts, today: date) -> PurposeEntry:
    """One purpose with its basis, categories, recipients, transfers, retention and holdings."""
    categories = known_categories(view.manifest)
    subjects = _subject_names(view)
    recipients = [r for r in view.recipients if purpose.key in r.purposes]
    held = _held(purpose.key, facts, categories)
    condition = purpose.special_category_condition
    return PurposeEntry(
        key=purpose.key,
        name=purpose.name,
        description=purpose.description,
        lawful_basis=purpose.lawful_basis.value if purpose.lawful_basis else None,
        basis_article=LAWFUL_BASIS_ARTICLE[purpose.lawful_basis] if purpose.lawful_basis else None,
        legitimate_interest=purpose.legitimate_interest,
        special_condition=f"{condition.value} ({SPECIAL_ARTICLE[condition.value]})"
        if condition
        else None,
        data_subjects=tuple(Named(k, subjects.get(k, k)) for k in purpose.data_subjects),
        categories=tuple(Named(k, categories.get(k, k)) for k in purpose.categories),
        recipients=tuple(Named(r.key, f"{r.name} ({r.type.value})") for r in recipients),
        transfers=transfers_of(recipients, home_region(view)[1]),
        retention=retention_of(view, purpose),
        requires_dpia=purpose.requires_dpia,
        dpia=dpia_state(purpose.key, facts.dpias, today)
        if purpose.requires_dpia
        else "not required",
        subjects_held=facts.subjects_by_purpose.get(purpose.key, 0),
        values_held=sum(h.values for h in held),
        held=held,
    )


# --- the record ---------------------------------------------------------------------------------


def _contract_text(recipient: Recipient) -> str:
    terms = recipient.contract
    named = [
        label
        for flag, label in (
            (terms.dpa, "data processing agreement"),
            (terms.service_provider_terms, "service-provider terms"),
            (terms.no_own_marketing, "no own marketing"),
            (terms.no_sale, "no sale"),
        )
        if flag
    ]
    if terms.reference:
        named.append(f"ref. {terms.reference}")
    return "; ".join(named) or "none recorded"


def recipient_entry(recipient: Recipient, disclosed: DisclosureCount | None) -> RecipientEntry:
    """A recipient with its contract terms and what it has been given (zeros when nothing)."""
    return RecipientEntry(
        recipient.key,
        recipient.name,
        recipient.type.value,
        tuple(recipient.countries),
        tuple(recipient.categories),
        tuple(recipient.purposes),
        _contract_text(recipient),
        disclosed.disclosures if disclosed else 0,
        disclosed.subjects if disclosed else 0,
        disclosed.last_at if disclosed else None,
    )


def _gaps(entries: Sequence[PurposeEntry], transfers: Sequence[Transfer]) -> tuple[str, ...]:
    gaps = [f"purpose '{e.key}' has no lawful basis" for e in entries if e.lawful_basis is None]
    gaps += [f"purpose '{e.key}' has no retention rule" for e in entries if not e.retention]
    gaps += [
        f"purpose '{e.key}' requires a DPIA: {e.dpia}"
        for e in entries
        if e.requires_dpia and not e.dpia.startswith("approved")
    ]
    gaps += [
        f"transfer to {t.country} ({t.recipient}) has no recorded safeguard"
        for t in transfers
        if t.safeguard is None
    ]
    return tuple(gaps)


def _parties(view: TenantView) -> tuple[Party, Party | None]:
    """(controller, processor): the tenant itself, or its client and the operator running privault."""
    tenant, org = view.tenant, view.manifest.organization
    if tenant.role == "processor":
        client = tenant.client
        controller = Party.of(client.name if client else None, client.contact if client else None)
        processor = Party.of(f"{org.name} for {tenant.name}", tenant.contact)
        return controller, processor
    return Party.of(tenant.name, tenant.contact), None


def build_ropa(view: TenantView, facts: Facts, at: datetime) -> Ropa:
    """The tenant's record of processing activities as of ``at``."""
    today = at.date()
    entries = tuple(purpose_entry(view, p, facts, today) for p in view.purposes)
    disclosed = {d.recipient: d for d in facts.disclosures}
    region, home = home_region(view)
    transfers = transfers_of(view.recipients, home)
    controller, processor = _parties(view)
    is_processor = view.tenant.role == "processor"
    org = view.manifest.organization
    return Ropa(
        tenant=view.tenant.key,
        tenant_name=view.tenant.name,
        record=view.tenant.role,
        article="GDPR Art. 30(2)" if is_processor else "GDPR Art. 30(1)",
        generated_at=at,
        organization=Party.of(org.name, org.contact),
        controller=controller,
        processor=processor,
        dpo=Party.of(None, view.tenant.dpo) if view.tenant.dpo else None,
        home_region=region,
        purposes=entries,
        recipients=tuple(recipient_entry(r, disclosed.get(r.key)) for r in view.recipients),
        transfers=transfers,
        security_measures=SECURITY_MEASURES,
        subjects_held=facts.subjects_held,
        dpia_missing=tuple(missing_dpias(view, facts.dpias, today)),
        gaps=_gaps(entries, transfers),
        fields=PROCESSOR_FIELDS if is_processor else CONTROLLER_FIELDS,
    )
