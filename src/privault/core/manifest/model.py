"""The shape of ``privault.yaml``. Structure only; cross-references are checked in ``checks.py``.

Every field is documented in ``docs/manifest.md``; ``privault manifest schema`` prints the JSON Schema
generated from these models.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from privault.core.taxonomy import Sensitivity

Key = Annotated[
    str,
    Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$", max_length=120, description="A stable identifier."),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LawfulBasis(StrEnum):
    """GDPR Art. 6(1) lawful bases, plus the UK's recognised legitimate interests (Art. 6(1)(ea))."""

    CONSENT = "consent"  # (a)
    CONTRACT = "contract"  # (b)
    LEGAL_OBLIGATION = "legal_obligation"  # (c)
    VITAL_INTERESTS = "vital_interests"  # (d)
    PUBLIC_TASK = "public_task"  # (e)
    LEGITIMATE_INTERESTS = "legitimate_interests"  # (f)
    RECOGNISED_LEGITIMATE_INTERESTS = "recognised_legitimate_interests"  # UK (ea)


LAWFUL_BASIS_ARTICLE: dict[LawfulBasis, str] = {
    LawfulBasis.CONSENT: "Art. 6(1)(a)",
    LawfulBasis.CONTRACT: "Art. 6(1)(b)",
    LawfulBasis.LEGAL_OBLIGATION: "Art. 6(1)(c)",
    LawfulBasis.VITAL_INTERESTS: "Art. 6(1)(d)",
    LawfulBasis.PUBLIC_TASK: "Art. 6(1)(e)",
    LawfulBasis.LEGITIMATE_INTERESTS: "Art. 6(1)(f)",
    LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS: "UK Art. 6(1)(ea)",
}


class SpecialCondition(StrEnum):
    """GDPR Art. 9(2) conditions for processing special-category data."""

    EXPLICIT_CONSENT = "explicit_consent"  # (a)
    EMPLOYMENT = "employment"  # (b)
    VITAL_INTERESTS = "vital_interests"  # (c)
    NOT_FOR_PROFIT = "not_for_profit"  # (d)
    MADE_PUBLIC = "made_public"  # (e)
    LEGAL_CLAIMS = "legal_claims"  # (f)
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest"  # (g)
    HEALTH_CARE = "health_care"  # (h)
    PUBLIC_HEALTH = "public_health"  # (i)
    ARCHIVING_RESEARCH = "archiving_research"  # (j)


class PurposeKind(StrEnum):
    """Whether a purpose serves the business or markets to people."""

    BUSINESS = "business"
    MARKETING = "marketing"


class Channel(StrEnum):
    """A channel marketing reaches people through (preferences are kept per brand and channel)."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    POST = "post"


class RecipientType(StrEnum):
    """Who receives personal data."""

    PROCESSOR = "processor"
    PARTNER = "partner"
    AFFILIATE = "affiliate"
    GROUP_COMPANY = "group_company"
    AUTHORITY = "authority"
    ACQUIRER = "acquirer"


class Action(StrEnum):
    """What a role may do with data."""

    READ = "read"
    WRITE = "write"
    ERASE = "erase"
    DISCLOSE = "disclose"


class RetentionEvent(StrEnum):
    """The event a retention period counts from."""

    COLLECTED = "collected"
    LAST_ACTIVITY = "last_activity"
    CONTRACT_END = "contract_end"
    REQUEST_CLOSED = "request_closed"


class CookieCategoryKey(StrEnum):
    """The four cookie categories of the ePrivacy/ICC scheme."""

    NECESSARY = "necessary"
    PREFERENCE = "preference"
    STATISTICS = "statistics"
    MARKETING = "marketing"


class ConsentType(StrEnum):
    """The seven consent types of Google Consent Mode v2 (GCM-1), set by the banner's ``gtag``."""

    AD_STORAGE = "ad_storage"
    AD_USER_DATA = "ad_user_data"
    AD_PERSONALIZATION = "ad_personalization"
    ANALYTICS_STORAGE = "analytics_storage"
    FUNCTIONALITY_STORAGE = "functionality_storage"
    PERSONALIZATION_STORAGE = "personalization_storage"
    SECURITY_STORAGE = "security_storage"


_PERIOD = re.compile(r"^\s*(\d+)\s*(hour|day|business day|week|month|year)s?\s*$")


class Period(_Strict):
    """A retention period, written in YAML as e.g. ``30 days``, ``1 month`` or ``7 years``."""

    amount: int = Field(ge=0)
    unit: Literal["hour", "day", "business day", "week", "month", "year"]

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse '30 days' style text."""
        match = _PERIOD.match(text.lower())
        if match is None:
            raise ValueError(
                "a period is a number and a unit, e.g. '30 days', '1 month', '7 years'"
            )
        unit = match.group(2)
        return cls(amount=int(match.group(1)), unit=unit)

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}{'s' if self.amount != 1 else ''}"


class Contact(_Strict):
    """A privacy contact point."""

    name: str | None = None
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    address: str | None = None
    url: str | None = None


class Colours(_Strict):
    """Brand colours used by the privacy center."""

    primary: str = Field(default="#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$")
    accent: str = Field(default="#f2a900", pattern=r"^#[0-9a-fA-F]{6}$")


class Brand(_Strict):
    """A brand or product line a tenant markets under."""

    key: Key
    name: str
    colours: Colours = Colours()
    domains: list[str] = []


# GDPR Art. 33(2): a processor tells its controller "without undue delay"; the contract sets the
# hours (GDPR-BR-2). 24 h by default; at most 72 h, the controller's own period under Art. 33(1).
CONTROLLER_NOTICE_HOURS = 24
CONTROLLER_NOTICE_MAX_HOURS = 72


class ClientController(_Strict):
    """The controller a processor tenant acts for."""

    name: str
    contact: Contact | None = None
    breach_notice_hours: int = Field(
        default=CONTROLLER_NOTICE_HOURS,
        ge=1,
        le=CONTROLLER_NOTICE_MAX_HOURS,
        description="Hours from awareness to tell this controller of a breach (GDPR 33(2)).",
    )


class Establishment(_Strict):
    """Where the controller is established: its deadlines' holiday calendar (Reg. 1182/71).

    Written ``{country: IE}``, ``{country: DE, region: BY}`` or ``DE-BY`` (ISO 3166 codes).
    """

    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. IE.")
    region: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{1,3}$", description="ISO 3166-2 subdivision, e.g. BY."
    )

    @model_validator(mode="after")
    def _has_calendar(self) -> Establishment:
        try:
            holidays.country_holidays(self.country, subdiv=self.region)
        except NotImplementedError:
            raise ValueError(f"no holiday calendar for '{self.code}'") from None
        return self

    @property
    def code(self) -> str:
        """``IE`` or ``DE-BY``."""
        return f"{self.country}-{self.region}" if self.region else self.country


def _establishment(value: object) -> object:
    if isinstance(value, str):
        country, _, region = value.strip().upper().partition("-")
        return {"country": country, "region": region or None}
    return value


class Policy(_Strict):
    """Operator promises stricter than the law; tenant values override the top-level ones."""

    minor_age: int | None = Field(default=None, ge=13, le=21)
    contract_end_delete_days: int | None = Field(default=None, ge=1, le=3650)
    vendors_may_market: bool | None = None
    sell_personal_data: bool | None = None
    uk_cookie_mode: Literal["opt_in", "duaa_exemptions"] | None = None
    cookie_reconsent_months: int | None = Field(default=None, ge=1, le=13)
    access_lookback_months: int | None = Field(default=None, ge=12)


class DataCategory(_Strict):
    """A data category the manifest adds to fideslang's (e.g. call recordings, CPNI)."""

    key: Key
    name: str
    description: str = ""
    parent: Key | None = None
    sensitivity: Sensitivity = Sensitivity.ORDINARY


class CategoryOverride(_Strict):
    """A stricter sensitivity for a fideslang category."""

    key: Key
    sensitivity: Sensitivity


class DataSubjectType(_Strict):
    """A kind of person whose data the tenant holds."""

    key: Key
    name: str | None = None
    description: str = ""


class Source(_Strict):
    """Where personal data comes from."""

    key: Key
    name: str
    description: str = ""


class AutomatedDecision(_Strict):
    """A decision this purpose takes solely by automated means with legal or similarly significant
    effects (GDPR Art. 22(1), UK Art. 22A): the person may ask a human to review it (Art. 22(3))."""

    name: str = Field(min_length=1, max_length=200)
    logic: str = Field(min_length=1, max_length=1000, description="How the decision is reached.")
    effects: str = Field(min_length=1, max_length=1000, description="What it means for the person.")


class Purpose(_Strict):
    """A purpose of processing (a fideslang data use with its legal footing)."""

    key: Key
    name: str
    description: str = ""
    data_use: Key | None = None
    lawful_basis: LawfulBasis | None = None
    special_category_condition: SpecialCondition | None = None
    kind: PurposeKind = PurposeKind.BUSINESS
    opt_out: bool = False
    categories: list[Key] = []
    data_subjects: list[Key] = []
    sources: list[Key] = []
    exclusive: bool = Field(
        default=False,
        description="Data collected for this purpose may be used for it only (surveys, job applications).",
    )
    requires_dpia: bool = False
    legitimate_interest: str | None = None
    channel: Channel | None = Field(
        default=None,
        description="For marketing: the channel it uses; opt-outs per brand and channel apply to it.",
    )
    sale_or_sharing: bool = Field(
        default=False,
        description="Sells or shares data for cross-context advertising (CCPA): GPC and opt-outs stop it.",
    )
    cookie_category: CookieCategoryKey | None = Field(
        default=None,
        description="Relies on cookies of this category: the visitor's cookie choice is its consent.",
    )
    allowed_while_restricted: bool = Field(
        default=False,
        description="GDPR Art. 18(2): may continue while processing is restricted (legal claims, rights).",
    )
    functions: list[Literal["identify", "locate", "profile"]] = Field(
        default=[],
        description=(
            "Technology that identifies, locates or profiles people (Québec Law 25 s. 8.1): for a "
            "Québec tenant it must rest on consent, off until the person activates it."
        ),
    )
    cpni_approval: Literal["opt_in", "opt_out"] = Field(
        default="opt_in",
        description="The CPNI approval this purpose needs when it is marketing (47 CFR 64.2007).",
    )
    automated_decision: AutomatedDecision | None = Field(
        default=None,
        description="A solely automated decision this purpose takes (GDPR Art. 22, UK Art. 22A-D).",
    )


class Anonymisation(_Strict):
    """The record an anonymisation keeps (Québec s. 23 and its Regulation respecting the
    anonymization of personal information): why, who oversees it, and the re-identification risk
    analysis that found the risk very low."""

    purpose: str = Field(
        min_length=1,
        max_length=300,
        description="The serious and legitimate purpose the anonymised information serves.",
    )
    supervisor: str = Field(
        min_length=1,
        max_length=200,
        description="The person qualified in the matter who supervises the anonymisation.",
    )
    risk_analysis: str = Field(
        min_length=1,
        max_length=300,
        description="A reference to the re-identification risk analysis (document, date).",
    )


class RetentionRule(_Strict):
    """How long data of some categories, for some purposes, is kept after an event."""

    key: Key
    description: str = ""
    categories: list[Key] = []
    purposes: list[Key] = []
    after: RetentionEvent = RetentionEvent.COLLECTED
    period: Period
    action: Literal["delete", "anonymise"] = "delete"
    anonymisation: Anonymisation | None = Field(
        default=None,
        description=(
            "For action 'anonymise': its purpose, supervisor and re-identification risk analysis "
            "(required for a Québec tenant, QC-ANON-1)."
        ),
    )
    law: str | None = Field(
        default=None,
        min_length=1,
        max_length=300,
        description=(
            "The law that requires keeping the data (e.g. 'Income Tax Act (Canada) s. 230(4)'): "
            "an erasure request then keeps what the rule covers until its period has run, "
            "usable only for the rule's legal-obligation purposes."
        ),
    )

    @field_validator("period", mode="before", json_schema_input_type=str | Period)
    @classmethod
    def _period_from_text(cls, value: object) -> object:
        return Period.parse(value) if isinstance(value, str) else value


class ErasureExceptionRule(_Strict):
    """Data kept despite an erasure request, with the legal reason (GDPR 17(3), CCPA 1798.105(d))."""

    key: Key
    code: Literal[
        "freedom_of_expression",
        "legal_obligation",
        "public_health",
        "archiving_research",
        "legal_claims",
        "complete_transaction",
        "security_integrity",
        "debug",
        "calecpa",
        "internal_uses",
        "legal_hold",
    ]
    categories: list[Key] = Field(min_length=1)
    rule: str = Field(default="", description="The provision relied on, e.g. 'GDPR 17(3)(b)'.")
    description: str = ""


class ContractTerms(_Strict):
    """The contract that binds a recipient (GDPR Art. 28, CCPA §7051)."""

    dpa: bool = False
    service_provider_terms: bool = False
    no_own_marketing: bool = False
    no_sale: bool = False
    reference: str | None = None


class Recipient(_Strict):
    """Someone personal data may be disclosed to."""

    key: Key
    name: str
    type: RecipientType
    description: str = ""
    purposes: list[Key] = []
    categories: list[Key] = []
    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = []
    transforms: list[Literal["identity", "pseudonymise", "aggregate", "anonymise"]] = ["identity"]
    contract: ContractTerms = ContractTerms()
    safeguards: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], str] = Field(
        default={},
        description=(
            "Per country without an adequacy decision: the transfer safeguard (GDPR Art. 46), "
            "e.g. {IN: 'Standard contractual clauses (GDPR Art. 46(2)(c))'}; shown in the notice."
        ),
    )


class Cookie(_Strict):
    """One cookie or similar technology."""

    name: str
    provider: str = "first party"
    duration: str = ""
    purpose: str = ""


class CookieCategory(_Strict):
    """A cookie category shown in the banner."""

    key: CookieCategoryKey
    name: str
    description: str = ""
    default: bool = False
    cookies: list[Cookie] = []
    consent_types: list[ConsentType] | None = Field(
        default=None,
        description="Google Consent Mode types this category grants; absent = the default mapping.",
    )


class Grant(_Strict):
    """What a role may do: actions on categories for purposes."""

    actions: list[Action]
    purposes: list[Key]
    categories: list[Key]
    full_values: list[Key] = Field(
        default=[],
        description="Categories shown by their last four characters (cards, bank accounts, "
        "government and medical IDs) or withheld (passwords, credentials, security answers, "
        "biometric data) that this grant reads in full, for its purposes; each such read is "
        "audited. Access packages never show them whole.",
    )


class Role(_Strict):
    """A role principals are given."""

    key: Key
    name: str
    description: str = ""
    grants: list[Grant] = []
    admin: bool = False


class Tenant(_Strict):
    """A company privault works for: a controller, or a processor for a client controller."""

    key: Key
    name: str
    role: Literal["controller", "processor"] = "controller"
    client: ClientController | None = None
    jurisdictions: list[Key] = []
    default_jurisdiction: Key | None = None
    establishment: Establishment | None = None
    contact: Contact
    dpo: Contact | None = None
    brands: list[Brand] = []
    purposes: list[Key] | None = None
    recipients: list[Key] | None = None
    retention: list[Key] | None = None
    cookie_categories: list[CookieCategoryKey] | None = None
    roles: list[Key] | None = None
    policy: Policy = Policy()
    dpdp_platform: Literal["e_commerce", "online_gaming", "social_media"] | None = Field(
        default=None,
        description=(
            "India (DPDP Rules 2025, Third Schedule): the tenant is an e-commerce entity or social "
            "media intermediary with at least two crore registered users in India, or an online "
            "gaming intermediary with at least fifty lakh: people inactive for three years are "
            "told 48 hours ahead, then erased (DPDP-ERA-1)."
        ),
    )

    _establishment = field_validator("establishment", mode="before")(_establishment)


class Organization(_Strict):
    """Who runs this privault (a BPO, or a company for itself)."""

    name: str
    contact: Contact | None = None


class Manifest(_Strict):
    """The whole privacy-as-code manifest."""

    version: Literal[1] = 1
    organization: Organization
    policy: Policy = Policy()
    data_categories: list[DataCategory] = []
    category_overrides: list[CategoryOverride] = []
    data_subjects: list[DataSubjectType] = []
    sources: list[Source] = []
    purposes: list[Purpose] = []
    retention: list[RetentionRule] = []
    erasure_exceptions: list[ErasureExceptionRule] = []
    recipients: list[Recipient] = []
    cookie_categories: list[CookieCategory] = []
    roles: list[Role] = []
    tenants: list[Tenant] = []

    def tenant(self, key: str) -> Tenant | None:
        """The tenant with this key, if any."""
        return next((t for t in self.tenants if t.key == key), None)
