"""What happened in each datastore, run by run, and the totals over every run of a request.

A request may be fulfilled several times (closed incomplete, then fulfilled again once the tasks are
done). Each run's result is kept, oldest first, under ``runs``; the rest of the result is the total:

- erasure: ``deleted`` and ``masked`` are summed (a row is deleted once); rows ``retained`` are a
  state, so per datastore, collection, code and rule the largest count a run kept; the vault's
  values and identities deleted are summed, and what it kept is every field any run kept;
  ``not_erased``, ``problems`` and the recipients to tell are the latest run's (what is left now);
- access and portability: each run builds the whole package again, so the latest run's counts;
- the other types: the latest run's result.

``by_datastore`` names every connected datastore with its ``status``: ``found`` (with the counts),
``no_match`` (it holds the requester's kinds of identity and nobody matched), ``not_searched`` (it
holds none of them), ``unreachable`` (with the error code) or ``held`` (a legal hold). Over runs, a
datastore is ``found`` if any run found the person there, unless the latest run could not reach it.
Everything is counts, names and codes: never a personal value.
"""

from __future__ import annotations

from typing import Any

from privault.connectors.results import AccessResult, ErasureResult
from privault.core.jurisdictions import Right

FOUND, NO_MATCH, NOT_SEARCHED = "found", "no_match", "not_searched"
UNREACHABLE, HELD = "unreachable", "held"


def _status(result: AccessResult | ErasureResult, something: bool) -> str:
    if something or any(result.matched.values()):
        return FOUND
    return NO_MATCH if result.no_match else NOT_SEARCHED


def erased_here(result: ErasureResult) -> dict[str, Any]:
    """One datastore's part of an erasure run."""
    deleted = sum(result.deleted.values())
    masked = sum(sum(c.values()) for c in result.masked.values())
    kept = len(result.retained)
    erased = {
        "status": _status(result, bool(deleted or masked or kept or result.not_erased)),
        "matched": dict(result.matched),
        "deleted": deleted,
        "masked": masked,
        "retained": kept,
        "not_erased": len(result.not_erased),
    }
    return erased | ({"others": list(result.others)} if result.others else {})


def found_here(result: AccessResult) -> dict[str, Any]:
    """One datastore's part of an access run: rows about the person, related rows (catalogue rows
    their rows point at, such as products) and collections about other people never searched."""
    rows = result.personal_rows
    found = {
        "status": _status(result, bool(result.total_rows)),
        "matched": dict(result.matched),
        "rows": rows,
        "related": result.total_rows - rows,
    }
    return found | ({"others": list(result.others)} if result.others else {})


def failed_here(code: str) -> dict[str, Any]:
    """A datastore that could not be worked on (a legal hold placed meanwhile, or a failure)."""
    return {"status": HELD if code == "hold.active" else UNREACHABLE, "error": code}


# --- runs and totals -----------------------------------------------------------------------------


def runs_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs a stored result holds, oldest first (a result stored before runs were kept holds
    its latest run at the top and the earlier ones, newest first, under ``earlier``)."""
    if not result:
        return []
    if "runs" in result:
        return list(result["runs"])
    latest = {k: v for k, v in result.items() if k != "earlier"}
    return [*reversed(result.get("earlier", [])), latest]


def totals(kind: Right, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The result to store: the totals over ``runs`` (see the module), with the runs."""
    body = _erasure_totals(runs) if kind is Right.ERASURE else dict(runs[-1])
    return {**body, "runs": runs}


def _erasure_totals(runs: list[dict[str, Any]]) -> dict[str, Any]:
    latest = runs[-1]
    keep = ("not_erased", "problems", "recipients_to_notify", "held")
    out: dict[str, Any] = {k: latest[k] for k in keep if k in latest}
    out["deleted"] = sum(int(r.get("deleted", 0)) for r in runs)
    out["masked"] = sum(int(r.get("masked", 0)) for r in runs)
    out["datastores"] = sorted({k for r in runs for k in r.get("datastores", [])})
    out["retained"] = _largest(runs)
    out["by_datastore"] = _stores(runs)
    out["vault"] = _vault(runs)
    out["no_record"] = nobody_found(out)
    return out


def nobody_found(total: dict[str, Any]) -> bool:
    """No run found the person anywhere: not in the vault, not in any datastore (every one
    searched or holding none of their kinds of identity), nothing erased, nothing kept."""
    stores = total.get("by_datastore", {}).values()
    return (
        not total.get("vault", {}).get("matched")
        and "held" not in total
        and all(s["status"] in (NO_MATCH, NOT_SEARCHED) for s in stores)
        and not (total["deleted"] or total["masked"] or total["retained"])
    )


def _largest(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for run in runs:
        for item in run.get("retained", []):
            key = (item["datastore"], item["collection"], item["code"], item.get("rule", ""))
            seen = groups.get(key)
            rows = max(int(item["rows"]), int(seen["rows"]) if seen else 0)
            groups[key] = {**item, "rows": rows}
    return [groups[k] for k in sorted(groups)]


def _stores(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        for key, entry in run.get("by_datastore", {}).items():
            out[key] = entry if key not in out else _merged(out[key], entry)
    return dict(sorted(out.items()))


def _merged(before: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    statuses = {before["status"], now["status"]}
    if now["status"] in (UNREACHABLE, HELD):
        status = now["status"]
    elif FOUND in statuses:
        status = FOUND
    else:
        status = NO_MATCH if NO_MATCH in statuses else now["status"]
    merged = {**before, **now, "status": status}
    matched = dict(before.get("matched", {}))
    for kind, rows in now.get("matched", {}).items():
        matched[kind] = matched.get(kind, 0) + rows
    merged["matched"] = matched
    for count in ("deleted", "masked"):
        merged[count] = int(before.get(count, 0)) + int(now.get(count, 0))
    merged["retained"] = max(int(before.get("retained", 0)), int(now.get("retained", 0)))
    return merged


def _vault(runs: list[dict[str, Any]]) -> dict[str, Any]:
    parts = [r["vault"] for r in runs if isinstance(r.get("vault"), dict)]
    if not parts:
        return {"matched": False}
    kept: dict[str, dict[str, Any]] = {}
    for part in parts:
        for item in part.get("retained", []):
            kept[item.get("field") or f"identity:{item.get('identity')}"] = item
    out: dict[str, Any] = {"matched": any(p.get("matched") for p in parts)}
    if parts[-1].get("held"):
        out["held"] = True
    out["fields_deleted"] = sum(int(p.get("fields_deleted", 0)) for p in parts)
    out["identities_deleted"] = sum(int(p.get("identities_deleted", 0)) for p in parts)
    out["retained"] = [kept[k] for k in sorted(kept)]
    out["restricted"] = any(p.get("restricted") for p in parts)
    return out
