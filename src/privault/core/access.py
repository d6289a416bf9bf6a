"""Who is calling, and what their role lets them do: deny by default, every rule named."""

from __future__ import annotations

from dataclasses import dataclass

from privault.core.manifest.model import Action, Role
from privault.core.manifest.resolve import TenantView, category_sensitivity, fides_lineage
from privault.core.taxonomy import Sensitivity, is_within


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, always inside one tenant."""

    tenant_id: int
    tenant_key: str
    role: str
    kind: str  # "api_key", "cli" or "user"
    reference: str  # the key prefix or user name: safe to log

    @property
    def actor(self) -> str:
        """How the audit trail names this caller."""
        return f"{self.kind}:{self.reference}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Allowed or not, and the rule that decided."""

    allowed: bool
    rule: str


_SENSITIVE = (Sensitivity.PAYMENT, Sensitivity.SPECIAL, Sensitivity.CPNI, Sensitivity.CHILDREN)


def _covers(view: TenantView, granted: str, wanted: str) -> bool:
    """A grant on ``granted`` covers ``wanted`` (directly, as a descendant, or through parents).

    Payment, special-category, CPNI and children's data are covered only by a grant on a category
    that is itself that sensitive: a grant on ``user`` does not reach a card number.
    """
    manifest = view.manifest
    if not any(is_within(key, granted) for key in fides_lineage(manifest, wanted)):
        return False
    sensitivity = category_sensitivity(manifest, wanted)
    return sensitivity not in _SENSITIVE or category_sensitivity(manifest, granted) is sensitivity


def authorise(
    view: TenantView, role_key: str, action: Action, purpose: str, category: str
) -> Verdict:
    """May ``role_key`` do ``action`` on ``category`` for ``purpose``? Deny by default."""
    role: Role | None = view.role(role_key)
    if role is None:
        return Verdict(False, f"deny: role '{role_key}' is not given to tenant '{view.tenant.key}'")
    for index, grant in enumerate(role.grants):
        applies = action in grant.actions and purpose in grant.purposes
        if applies and any(_covers(view, granted, category) for granted in grant.categories):
            return Verdict(True, f"allow: roles.{role.key}.grants[{index}]")
    sensitivity = category_sensitivity(view.manifest, category)
    if sensitivity in _SENSITIVE:
        return Verdict(
            False,
            f"deny: {sensitivity.value} data needs an explicit grant; role '{role.key}' has none to "
            f"{action.value} '{category}' for '{purpose}'",
        )
    return Verdict(
        False,
        f"deny by default: role '{role.key}' has no grant to {action.value} '{category}' for '{purpose}'",
    )


def full_value(view: TenantView, role_key: str, purpose: str, category: str) -> Verdict:
    """May ``role_key`` read the whole value of ``category`` for ``purpose``, not its last four or
    ``[withheld]``?

    Only a grant that lets the role read the category for the purpose and lists it (or a category
    above it) under ``full_values`` allows it (see ``core/display.py``).
    """
    role: Role | None = view.role(role_key)
    for index, grant in enumerate(role.grants if role is not None else ()):
        if (
            Action.READ in grant.actions
            and purpose in grant.purposes
            and any(_covers(view, granted, category) for granted in grant.categories)
            and any(_covers(view, full, category) for full in grant.full_values)
        ):
            return Verdict(True, f"allow: roles.{role_key}.grants[{index}].full_values")
    return Verdict(
        False,
        f"not shown whole: role '{role_key}' has no grant of the full value of '{category}' "
        f"for '{purpose}'",
    )
