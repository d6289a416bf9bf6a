"""Where personal data may go from the EEA or the UK without an Art. 46 safeguard: the EEA itself
(the EU's 27 member states, Iceland, Liechtenstein and Norway) and the countries with an adequacy
decision (GDPR Art. 45(3)). One list for the records of processing and the notice."""

from __future__ import annotations

EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
# Adequacy decisions (GDPR Art. 45(3)); the UK recognises the same countries (DPA 2018 s. 17A and
# its adequacy regulations). The United States is adequate only for organisations certified under
# the EU-U.S. Data Privacy Framework, so a recipient there must state its safeguard.
ADEQUATE = frozenset(
    ["AD", "AR", "CA", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "CH", "UY"]
)
