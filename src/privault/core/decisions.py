"""The one processing decision: may this person's data of these categories be used for this purpose now?

Pure and fast. :func:`compile_plan` resolves everything that depends only on the manifest (lawful basis,
sensitivities, channel, the topics that count as consent) once per (purpose, categories, brand);
:func:`evaluate` then checks one holder's projected consent state against the plan. Every reason names
the rule (ids from RULES.md) and the record behind it: a consent event or a manifest entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from privault.core.consent import CPNI_NOTICE_METHODS, Entry, Kind, State, cpni_wait_days, topic
from privault.core.manifest.model import LawfulBasis, Purpose, PurposeKind, SpecialCondition
from privault.core.taxonomy import EXPLICIT_CONSENT_ONLY, is_within

_DAY_US = 86_400_000_000
# 47 CFR 64.2008(d)(2): opt-out notices are renewed every two years; 730 days, the shorter reading
CPNI_OPT_OUT_RENEW_DAYS = 730


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that applied, whether it allowed or denied, and the record behind it."""

    rule: str
    allowed: bool
    message: str
    record: str | None = None
    category: str | None = None  # set when the rule concerns one category only


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: allowed only if no rule denied. ``reasons`` explain it either way."""

    allowed: bool
    reasons: tuple[Reason, ...]

    def denied_categories(self) -> dict[str, Reason]:
        """Categories denied by a rule that concerns them alone (special, CPNI, purpose limitation)."""
        return {r.category: r for r in self.reasons if not r.allowed and r.category is not None}

    def subject_wide_denial(self) -> Reason | None:
        """The first denial that concerns every category (consent, objection, restriction, ...)."""
        return next((r for r in self.reasons if not r.allowed and r.category is None), None)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the decision needs to know about one holder."""

    known: bool = True
    is_minor: bool = False
    state: State = field(default_factory=dict)
    exclusive: dict[str, frozenset[str]] = field(default_factory=dict)  # purpose -> categories
    teen: bool = False  # not a minor, but under a law's sale/sharing opt-in age (CCPA-MIN-1)
    plain: bool = field(init=False)  # known, an adult, no exclusive data: plan defaults may apply
    marketing: bool = field(init=False)  # has a "marketing:" topic
    memo: dict[int, Decision] = field(
        init=False, compare=False, repr=False
    )  # plan serial -> answer

    def __post_init__(self) -> None:
        plain = self.known and not self.is_minor and not self.teen and not self.exclusive
        object.__setattr__(self, "plain", plain)
        object.__setattr__(self, "marketing", any(k.startswith("marketing:") for k in self.state))
        object.__setattr__(self, "memo", {})

    def timeless(self) -> bool:
        """Answers about this holder do not change with time alone (no CPNI opt-out approval, whose
        30-day wait runs on): they may be remembered while the facts stand."""
        entry = self.state.get("cpni:*")
        return entry is None or entry.method not in CPNI_NOTICE_METHODS


UNKNOWN = Facts(known=False)
UNKNOWN_SUBJECT = Decision(
    False, (Reason("SUBJECT", False, "no such subject (unknown or erased)"),)
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything about a question that depends on the manifest only."""

    purpose: Purpose
    categories: tuple[str, ...]
    brand: str | None
    static: tuple[Reason, ...]
    consent_topics: tuple[str, ...]  # latest of these decides consent (purpose, cookie, marketing)
    parental_topic: str
    marketing_optouts: tuple[str, ...]  # marketing topics whose latest "no" opts out
    special: tuple[tuple[str, str], ...]  # (category, explicit-consent topic)
    cpni: tuple[str, ...]
    sensitive: tuple[str, ...]
    restriction_topics: tuple[str, ...]
    objection_topics: tuple[str, ...]
    serial: int = 0  # unique per compiled plan in this process (a memo key)
    topics: frozenset[str] = frozenset()  # every topic the rules read
    any_brand: bool = False  # marketing without a brand: every "marketing:" topic is read
    default: Decision | None = None  # the answer for a holder with none of the topics
    minor_record: str = "manifest:policy.minor_age"  # what set the minor age: policy or a law
    child_rule: str = "GDPR-CHILD-1"  # the parental-consent rule (the law's, where a law set it)
    teen_rule: str = "CCPA-MIN-1"  # the sale/sharing opt-in rule for teens, and its law
    teen_law: str = "Cal. Civ. Code 1798.120(c)"
    teen_opt_in: bool = True  # the teen's own opt-in lifts the rule (else a ban: Maryland)
    teen_ads_rule: str | None = None  # a US state law's opt-in rule for targeted advertising
    teen_ads_law: str = ""
    teen_ads_opt_in: bool = True
    labels: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    """GDPR rule ids renamed for a tenant no GDPR applies to (``core/law_labels.py``)."""

    @property
    def needs_consent(self) -> bool:
        """The lawful basis is consent."""
        return self.purpose.lawful_basis is LawfulBasis.CONSENT

    @property
    def marketing(self) -> bool:
        """A direct-marketing purpose."""
        return self.purpose.kind is PurposeKind.MARKETING


def manifest_record(purpose: Purpose, name: str | None = None) -> str:
    """How a reason names a manifest entry: ``manifest:purposes.<key>[.<field>]``."""
    return f"manifest:purposes.{purpose.key}" + (f".{name}" if name else "")


def _latest(state: State, topics: tuple[str, ...]) -> tuple[str, Entry] | None:
    best: tuple[str, Entry] | None = None
    for key in topics:
        entry = state.get(key)
        if entry is not None and (best is None or entry.newer_than(best[1])):
            best = (key, entry)
    return best


def _event(entry: Entry) -> str:
    return f"consent_event:{entry.event_id}"


def evaluate(plan: Plan, facts: Facts, at_us: int) -> Decision:
    """Check one holder against a plan."""
    if not facts.known:
        return UNKNOWN_SUBJECT
    state = facts.state
    if untouched(plan, facts):
        return plan.default  # type: ignore[return-value]  # untouched() checks it is set
    reasons = list(plan.static)
    _restriction(plan, state, reasons)
    _objection(plan, state, reasons)
    if plan.marketing or plan.purpose.sale_or_sharing:
        _marketing(plan, facts, state, reasons)
    if plan.needs_consent:
        _consent(plan, facts, state, reasons)
    if plan.special:
        _special(plan, state, reasons)
    if plan.cpni:
        _cpni(plan, state, at_us, reasons)
    if plan.sensitive and plan.marketing:
        _limit_spi(plan, state, reasons)
    _state_opt_outs(plan, facts, state, reasons)
    if facts.exclusive:
        _exclusive(plan, facts, reasons)
    if plan.labels:
        reasons = [_relabel(r, plan.labels) for r in reasons]
    return Decision(all(r.allowed for r in reasons), tuple(reasons))


def _relabel(reason: Reason, labels: dict[str, str]) -> Reason:
    rule = labels.get(reason.rule)
    if rule is None:
        return reason
    return Reason(rule, reason.allowed, reason.message, reason.record, reason.category)


def untouched(plan: Plan, facts: Facts) -> bool:
    """Nothing the rules read is in the holder's state: the plan's default answer holds."""
    return (
        plan.default is not None
        and facts.plain
        and facts.state.keys().isdisjoint(plan.topics)
        and not (plan.any_brand and facts.marketing)
    )


def _restriction(plan: Plan, state: State, reasons: list[Reason]) -> None:
    for key in plan.restriction_topics:
        entry = state.get(key)
        if entry is None or entry.granted:
            continue
        if plan.purpose.allowed_while_restricted:
            reasons.append(
                Reason(
                    "GDPR-RES-1",
                    True,
                    f"processing is restricted ({key}), but '{plan.purpose.key}' may continue "
                    "(Art. 18(2) exception in the manifest)",
                    _event(entry),
                )
            )
        else:
            reasons.append(
                Reason(
                    "GDPR-RES-1",
                    False,
                    f"processing is restricted ({key}): only storage is allowed",
                    _event(entry),
                )
            )


def _objection(plan: Plan, state: State, reasons: list[Reason]) -> None:
    for key in plan.objection_topics:
        entry = state.get(key)
        if entry is not None and not entry.granted:
            direct = key.endswith(":marketing") or plan.marketing
            rule = "GDPR-OBJ-1" if direct else "GDPR-OBJ-21(1)"
            what = "direct marketing (absolute)" if rule == "GDPR-OBJ-1" else "this processing"
            reasons.append(Reason(rule, False, f"the person objected to {what}", _event(entry)))


def _marketing(plan: Plan, facts: Facts, state: State, reasons: list[Reason]) -> None:
    if facts.is_minor:
        reasons.append(
            Reason(
                "POL-MIN-1",
                False,
                "the person is a minor: no marketing, sale or sharing (policy minor age)",
                plan.minor_record,
            )
        )
    if plan.purpose.sale_or_sharing:
        entry = state.get(topic(Kind.SALE_SHARING, "*"))
        if facts.teen:
            law = (plan.teen_rule, plan.teen_law, plan.teen_opt_in)
            reasons.append(_teen(law, "sale or sharing", entry, plan))
        elif entry is not None and not entry.granted:
            rule = "CCPA-GPC-1" if entry.method == "gpc" else "CCPA-OO-1"
            reasons.append(Reason(rule, False, "opted out of sale and sharing", _event(entry)))
    if plan.purpose.channel is None:
        return
    found = _latest(state, (*plan.marketing_optouts, topic(Kind.PURPOSE, plan.purpose.key)))
    if plan.brand is None:  # no brand named: an opt-out from any brand on this channel counts
        found = _latest(state, _any_brand(plan, state)) or found
        if found is not None and not found[1].granted:
            reasons.append(_optout(found))
        return
    if not plan.needs_consent and found is not None and not found[1].granted:
        reasons.append(_optout(found))  # soft opt-in: allowed until the person opts out


def _teen(teen_rule: tuple[str, str, bool], what: str, entry: Entry | None, plan: Plan) -> Reason:
    """Under a law's opt-in age (CCPA: 16 for sale or sharing; the US state laws: targeted
    advertising too), the processing needs the person's own opt-in; under a law that bans it
    below that age (``opt_in`` false: Maryland), nothing lifts it."""
    rule, law, opt_in = teen_rule
    if not opt_in:
        message = f"the person is under the age for {what} ({law}): no {what}, even on an opt-in"
        return Reason(rule, False, message, plan.minor_record)
    if entry is not None and entry.granted:
        return Reason(rule, True, f"the minor opted in to {what}", _event(entry))
    return Reason(
        rule,
        False,
        f"the person is under the opt-in age for {what} ({law}): "
        f"no {what} without the person's own opt-in",
        _event(entry) if entry else plan.minor_record,
    )


def _minor_ads(plan: Plan) -> Reason:
    """A minor (possibly under 13, where only a parent may opt in) gets no targeted advertising
    under a US state law that sets a teen opt-in age."""
    return Reason(
        plan.teen_ads_rule or "US-STATE-MIN",
        False,
        f"the person is a minor ({plan.teen_ads_law}): no targeted advertising",
        plan.minor_record,
    )


def _any_brand(plan: Plan, state: State) -> tuple[str, ...]:
    channel = plan.purpose.channel.value if plan.purpose.channel else "*"
    return tuple(
        key
        for key, entry in state.items()
        if key.startswith("marketing:")
        and not entry.granted
        and key.rsplit(":", 1)[1] in (channel, "*")
    )


def _optout(found: tuple[str, Entry]) -> Reason:
    return Reason("CANSPAM-1", False, f"opted out of this marketing ({found[0]})", _event(found[1]))


def _consent(plan: Plan, facts: Facts, state: State, reasons: list[Reason]) -> None:
    if facts.is_minor:
        entry = state.get(plan.parental_topic)
        if entry is not None and entry.granted:
            reasons.append(
                Reason(plan.child_rule, True, "a parent's verified consent", _event(entry))
            )
            found = _latest(state, plan.consent_topics)
            if found is not None and not found[1].granted and found[1].newer_than(entry):
                reasons.append(
                    Reason(
                        "GDPR-CONS-2", False, f"consent withdrawn ({found[0]})", _event(found[1])
                    )
                )
        else:
            reasons.append(
                Reason(
                    plan.child_rule,
                    False,
                    "the person is a minor: consent must come from a parent, with verification",
                    _event(entry) if entry else plan.minor_record,
                )
            )
        return
    found = _latest(state, plan.consent_topics)
    if found is None:
        reasons.append(
            Reason("GDPR-CONS-3", False, "no consent recorded (nothing is consented by default)")
        )
    elif found[1].granted:
        reasons.append(Reason("GDPR-CONS-1", True, f"consent given ({found[0]})", _event(found[1])))
    else:
        reasons.append(
            Reason("GDPR-CONS-2", False, f"consent withdrawn ({found[0]})", _event(found[1]))
        )


def _special(plan: Plan, state: State, reasons: list[Reason]) -> None:
    condition = plan.purpose.special_category_condition
    for category, key in plan.special:
        explicit_only = any(is_within(category, k) for k in EXPLICIT_CONSENT_ONLY)
        if condition is None:
            reasons.append(
                Reason(
                    "GDPR-SPEC-1",
                    False,
                    f"'{category}' is special-category data and the purpose has no Art. 9(2) condition",
                    manifest_record(plan.purpose),
                    category,
                )
            )
            continue
        if condition is not SpecialCondition.EXPLICIT_CONSENT and not explicit_only:
            reasons.append(
                Reason(
                    "GDPR-SPEC-1",
                    True,
                    f"Art. 9(2) condition: {condition.value}",
                    manifest_record(plan.purpose, "special_category_condition"),
                    category,
                )
            )
            continue
        entry = state.get(key)
        if entry is not None and entry.granted:
            reasons.append(
                Reason(
                    "GDPR-SPEC-1",
                    True,
                    f"explicit consent for '{category}'",
                    _event(entry),
                    category,
                )
            )
        else:
            reasons.append(
                Reason(
                    "GDPR-SPEC-1",
                    False,
                    f"'{category}' needs the person's explicit consent for this purpose",
                    _event(entry) if entry else None,
                    category,
                )
            )


def _cpni(plan: Plan, state: State, at_us: int, reasons: list[Reason]) -> None:
    if not plan.marketing:
        for category in plan.cpni:
            reasons.append(
                Reason(
                    "FCC-APP-1",
                    True,
                    "CPNI used to provide the service the customer takes (47 U.S.C. 222(c)(1))",
                    manifest_record(plan.purpose, "kind"),
                    category,
                )
            )
        return
    entry = state.get(topic(Kind.CPNI, "*"))
    message = _cpni_problem(plan, entry, at_us)
    for category in plan.cpni:
        if message is None and entry is not None:
            reasons.append(Reason("FCC-APP-1", True, "CPNI approval", _event(entry), category))
        else:
            record = _event(entry) if entry else None
            reasons.append(Reason("FCC-APP-1", False, message or "", record, category))


def _cpni_problem(plan: Plan, entry: Entry | None, at_us: int) -> str | None:
    if entry is None:
        return "no CPNI approval recorded"
    if not entry.granted:
        return "CPNI approval withdrawn"
    if entry.method in CPNI_NOTICE_METHODS:  # opt-out approval
        if plan.purpose.cpni_approval == "opt_in":
            return "this use of CPNI needs opt-in approval; only opt-out approval is recorded"
        wait = cpni_wait_days(entry.method)  # 30 days; from the third day after mailing (d)(1)
        if at_us < entry.at_us + wait * _DAY_US:
            return f"opt-out approval takes effect {wait} days after the notice (47 CFR 64.2008(d))"
        if at_us >= entry.at_us + CPNI_OPT_OUT_RENEW_DAYS * _DAY_US:
            return "the opt-out notice is over two years old: send a new one (47 CFR 64.2008(d)(2))"
    return None


# fideslang data uses that are targeted advertising or profiling (US state opt-outs)
_TARGETED_USES = ("marketing.advertising.first_party.targeted", "marketing.advertising.third_party")
_PROFILING_USES = ("marketing.advertising.profiling", "personalize.profiling")


def _uses(plan: Plan, keys: tuple[str, ...]) -> bool:
    use = plan.purpose.data_use
    return use is not None and any(is_within(use, k) for k in keys)


def _state_opt_outs(plan: Plan, facts: Facts, state: State, reasons: list[Reason]) -> None:
    """Targeted advertising and profiling opt-outs (US state laws, or a binding GPC signal), and
    the state laws' opt-in for targeted advertising below their teen age."""
    for kind, keys, what in (
        (Kind.TARGETED_ADS, _TARGETED_USES, "targeted advertising"),
        (Kind.PROFILING, _PROFILING_USES, "profiling"),
    ):
        if not _uses(plan, keys):
            continue
        entry = state.get(topic(kind, "*"))
        if kind is Kind.TARGETED_ADS and plan.teen_ads_rule and (facts.teen or facts.is_minor):
            ads = (plan.teen_ads_rule, plan.teen_ads_law, plan.teen_ads_opt_in)
            teen = _teen(ads, what, entry, plan)
            reasons.append(teen if facts.teen else _minor_ads(plan))
        elif entry is not None and not entry.granted:
            rule = "US-STATE-GPC" if entry.method == "gpc" else "US-STATE-OO"
            reasons.append(Reason(rule, False, f"opted out of {what}", _event(entry)))


def _limit_spi(plan: Plan, state: State, reasons: list[Reason]) -> None:
    entry = state.get(topic(Kind.LIMIT_SPI, "*"))
    if entry is None or entry.granted:
        return
    for category in plan.sensitive:
        reasons.append(
            Reason(
                "CCPA-LIM-1",
                False,
                "the person limited the use of sensitive data to the necessary purposes",
                _event(entry),
                category,
            )
        )


def _exclusive(plan: Plan, facts: Facts, reasons: list[Reason]) -> None:
    for purpose, collected in facts.exclusive.items():
        if purpose == plan.purpose.key:
            continue
        for category in plan.categories:
            if any(is_within(c, category) or is_within(category, c) for c in collected):
                reasons.append(
                    Reason(
                        "PURPOSE-LIMIT",
                        False,
                        f"'{category}' was collected for '{purpose}' and is usable for it only",
                        f"manifest:purposes.{purpose}.exclusive",
                        category,
                    )
                )
