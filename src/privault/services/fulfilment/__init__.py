"""Fulfilling a verified request across the vault and every connected datastore.

- **access** (and **portability**): every value in the vault and every row reachable in each datastore,
  with the right-to-know report, packed as JSON + CSV + a readable HTML page in a zip behind an
  expiring download link;
- **erasure**: datastores first (rows deleted or masked in foreign-key-safe order; shared rows and
  rows under an exception retained with their code), then the vault (crypto-shredding, or only the
  values no exception keeps). Anything that could not be erased leaves the request *incomplete*;
- **rectification**: vault values corrected; fields held in datastores become tasks;
- **restriction, objection, opt-out of sale/sharing, limit sensitive data**: recorded in the consent
  ledger, so every later processing decision honours them.

Erasure, rectification and restriction list the recipients to tell (GDPR Art. 19) as tasks.
A request is completed only when everything ran and no manual task is open.

Modules: ``entry`` (fulfil, the claim and the closing), ``staged`` (what handlers share),
``access`` and ``report``, ``package_files`` (the zip, its README and report.html), ``erasure``,
``rectification``, ``flags``, ``notify`` (Art. 19) and ``downloads``.
"""

from privault.services.fulfilment.access import CCPA_EARLIEST_LOOKBACK
from privault.services.fulfilment.downloads import Download, download, staff_download
from privault.services.fulfilment.entry import CLAIM_MINUTES, WORKING, apply_at_once, fulfil
from privault.services.fulfilment.notify import ART19_TYPES
from privault.services.fulfilment.report import Held
from privault.services.fulfilment.staged import SYSTEM_ACTOR, Outcome, Staged

__all__ = [
    "ART19_TYPES",
    "CCPA_EARLIEST_LOOKBACK",
    "CLAIM_MINUTES",
    "SYSTEM_ACTOR",
    "WORKING",
    "Download",
    "Held",
    "Outcome",
    "Staged",
    "apply_at_once",
    "download",
    "fulfil",
    "staff_download",
]
