"""What the requester is told of an erasure (from the totals over every run of the request) and of
an access request.

Every connected datastore is named with what happened there, the vault too; what the law keeps is
named with its law, until when (or for how long) and the one use left for it. Table and field names
are never told: the datastore's key, counts and category names only.
"""

from __future__ import annotations

from typing import Any

from privault.core.manifest.resolve import TenantView, known_categories
from privault.core.vault import identity_category
from privault.services.fulfilment.tally import FOUND, HELD, NO_MATCH, UNREACHABLE

# Rows kept for other rows' sake, their personal fields masked.
LINKED = ("referenced", "depended_on", "cycle")
HOLD = (
    "We must keep your data for now: it is under a legal hold (GDPR 17(3)(e), CCPA 1798.105(d)(8))."
)


def erasure_answer(view: TenantView, total: dict[str, Any]) -> list[str]:
    """The sentences of the answer, in order."""
    stores = total.get("by_datastore", {})
    if "held" in total:
        where = ", ".join(["our customer records", *stores])
        return [HOLD, f"Nothing was erased ({where})."]
    lines = [_vault_line(total.get("vault", {}))]
    lines += [_store_line(key, entry) for key, entry in stores.items()]
    lines += _others_lines(stores)
    if total.get("no_record"):
        lines.append(
            "Nothing matched the identities you gave anywhere, so there was nothing to erase."
        )
        return lines
    lines.append(
        f"In all, we deleted {_n(total['deleted'], 'record')} and erased "
        f"{_n(total['masked'], 'value')} in our systems."
    )
    lines += _kept_lines(view, total)
    retained = total.get("retained", [])
    shared = sum(r["rows"] for r in retained if r["code"] == "shared")
    if shared:
        lines.append(
            f"{shared} record(s) also belong to someone else (for example a shared address) "
            "and were kept unchanged."
        )
    linked = sum(r["rows"] for r in retained if r["code"] in LINKED)
    if linked:
        lines.append(
            f"{_n(linked, 'record')} stay because other records depend on them; the personal "
            "data in them was erased."
        )
    return lines


def refused_something(total: dict[str, Any]) -> bool:
    """Part of the request was refused: data kept under a legal hold or an exception to erasure, a
    value that could not be erased, or a value withheld from an access package. Records kept
    because they are shared or others depend on them (their personal data erased) are not, and
    neither are exceptions a law did not allow (``exceptions_not_applied``: the data was erased)."""
    kept = [r for r in total.get("retained", []) if r.get("code") not in ("shared", *LINKED)]
    vault = total.get("vault")  # erasure: what the vault kept; access: whether it held the person
    return bool(
        total.get("held")
        or (isinstance(vault, dict) and vault.get("retained"))
        or kept
        or total.get("not_erased")
        or total.get("withheld")
    )


def access_answer(vault: bool, stores: dict[str, dict[str, Any]]) -> list[str]:
    """What the access answer says of the vault and of each datastore, after the download line."""
    lines = [] if vault else ["We found no record of you in our customer records."]
    for key, entry in stores.items():
        if entry["status"] == FOUND:
            related = entry.get("related", 0)
            also = f" (and {_n(related, 'related record')}, such as products)" if related else ""
            lines.append(
                f"In {key} we found {_n(entry.get('rows', 0), 'record')} about you{also}: "
                "they are in your data."
            )
        elif entry["status"] == UNREACHABLE:
            lines.append(f"We could not reach {key} yet; we will send what it holds once we can.")
        else:
            lines.append(_store_line(key, entry))
    return lines + _others_lines(stores)


def _others_lines(stores: dict[str, dict[str, Any]]) -> list[str]:
    """Datastores that also keep records about other people (staff), which were not searched."""
    keys = [key for key, entry in stores.items() if entry.get("others")]
    if not keys:
        return []
    return [
        f"{_listed(keys)} also keep{'s' if len(keys) == 1 else ''} records about our staff, "
        "which a customer's request does not search. If you work or have worked for us, tell us "
        "and we will look there too."
    ]


def _vault_line(vault: dict[str, Any]) -> str:
    if not vault.get("matched"):
        return "We found no record of you in our customer records."
    fields, identities = vault.get("fields_deleted", 0), vault.get("identities_deleted", 0)
    kept = len(vault.get("retained", []))
    if not kept:
        return (
            f"In our customer records we erased your record ({_n(fields, 'value')} and "
            f"{_n(identities, 'identity')})."
        )
    return (
        f"In our customer records we deleted {_n(fields, 'value')} and {_n(identities, 'identity')}, "
        f"and kept {_n(kept, 'value')} the law requires us to keep (see below)."
    )


def _store_line(key: str, entry: dict[str, Any]) -> str:
    status = entry["status"]
    if status == NO_MATCH:
        return f"We found no record of you in {key}."
    if status == UNREACHABLE:
        return f"We could not reach {key} yet; we will erase your data there as soon as we can."
    if status == HELD:
        return f"Nothing was erased in {key}: a legal hold keeps it."
    if status != FOUND:
        return f"We did not search {key}: it holds none of the kinds of identity you gave."
    done = [
        f"deleted {_n(entry['deleted'], 'record')}" if entry.get("deleted") else "",
        f"erased {_n(entry['masked'], 'value')}" if entry.get("masked") else "",
        f"kept {_n(entry['retained'], 'record')} (see below)" if entry.get("retained") else "",
    ]
    said = [d for d in done if d]
    if not said:
        return f"In {key} we found records of you; nothing in them needed erasing."
    return f"In {key} we {_listed(said)}."


def _kept_lines(view: TenantView, total: dict[str, Any]) -> list[str]:
    """One sentence per rule that kept something, in the vault or in a datastore."""
    names = known_categories(view.manifest)
    vault: dict[tuple[str, str], dict[str | None, list[str]]] = {}
    stores: dict[tuple[str, str], dict[str, int]] = {}
    about: dict[tuple[str, str], dict[str, Any]] = {}
    for item in total.get("vault", {}).get("retained", []):
        category = item.get("field") or identity_category(str(item.get("identity")))
        key = (item["rule"], item["law"])
        by_day = vault.setdefault(key, {})
        by_day.setdefault(item.get("until"), []).append(names.get(category, category).lower())
        about.setdefault(key, item)
    for item in total.get("retained", []):
        if item["code"] == "shared" or item["code"] in LINKED or "rule" not in item:
            continue
        key = (item["rule"], item["law"])
        rows = stores.setdefault(key, {})
        rows[item["datastore"]] = rows.get(item["datastore"], 0) + int(item["rows"])
        about.setdefault(key, item)
    lines = []
    for key in sorted(about):
        item = about[key]
        parts = [_values(found, item, until) for until, found in vault.get(key, {}).items()]
        parts += [_rows(n, store, item) for store, n in stores.get(key, {}).items()]
        lines.append(_kept_line(view, _listed(parts), item))
    return lines


def _values(found: list[str], item: dict[str, Any], until: str | None) -> str:
    when = f"until {until}" if until else f"for {item['period']}" if item.get("period") else ""
    return f"your {_listed(found)}" + (f" ({when})" if when else "")


def _rows(count: int, store: str, item: dict[str, Any]) -> str:
    when = f" (for {item['period']})" if item.get("period") else ""
    return f"{_n(count, 'record')} in {store}{when}"


def _kept_line(view: TenantView, what: str, item: dict[str, Any]) -> str:
    if not item.get("period"):
        reason = item["code"].replace("_", " ")
        return f"We kept {what} because the law requires it ({reason}: {item['law']})."
    uses = [p.name.lower() for k in item.get("purposes", []) if (p := view.purpose(k))]
    use = f"use them only for {' and '.join(uses)}" if uses else "use them for nothing else"
    return (
        f"We keep {what} to meet a legal obligation ({item['law']}): we {use}, and delete them "
        "when that time is up."
    )


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _n(count: int, word: str) -> str:
    """``1 record``, ``2 records``, ``2 identities``."""
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word[:-1]}ies" if word.endswith("y") else f"{count} {word}s"
