"""The laws privault knows, one module per law family, each figure with its statute citation."""

from privault.core.laws.brazil import BR
from privault.core.laws.canada import CA, CA_AB, CA_BC, CA_QC
from privault.core.laws.ccpa import US_CA
from privault.core.laws.gdpr_uk import EU, UK
from privault.core.laws.india import IN
from privault.core.laws.model import (
    RIGHT_TITLES,
    Jurisdiction,
    LegalPeriod,
    PeriodUnit,
    Right,
    RightPeriod,
)
from privault.core.laws.us_federal import US
from privault.core.laws.us_states import US_STATES

ALL: tuple[Jurisdiction, ...] = (EU, UK, US_CA, CA, CA_QC, IN, US, *US_STATES, BR, CA_AB, CA_BC)

__all__ = [
    "ALL",
    "RIGHT_TITLES",
    "Jurisdiction",
    "LegalPeriod",
    "PeriodUnit",
    "Right",
    "RightPeriod",
]
