"""Which dated datastore fields fall under which retention rules (pure: no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from privault.connectors.model import FieldSpec
from privault.core.manifest.model import RetentionRule
from privault.services.retention_datastores import DatedPlan, field_rules


def _rule(
    key: str, category: str, after: str, period: str, purposes: list[str] | None = None
) -> RetentionRule:
    raw = {"key": key, "categories": [category], "after": after, "period": period}
    return RetentionRule.model_validate(raw | ({"purposes": purposes} if purposes else {}))


IPS = _rule("ips", "user.device.ip_address", "collected", "1 year", ["fraud-prevention"])
STATS = _rule("stats", "user.device.ip_address", "collected", "13 months", ["web-analytics"])
CONTRACT = _rule("contract", "user.contact", "contract_end", "1 month")
IP = FieldSpec("ip", ("user.device.ip_address", "system.operations"))


def test_a_fields_non_personal_categories_do_not_keep_it_from_falling_due() -> None:
    assert field_rules([IPS], IP, None, ()) == ((IPS,),)


def test_a_held_category_or_a_rule_on_another_event_keeps_the_field() -> None:
    assert field_rules([IPS], IP, None, ("user.device",)) is None
    email = FieldSpec("email", ("user.contact.email",))
    assert field_rules([CONTRACT], email, None, ()) is None
    assert field_rules([IPS], email, None, ()) is None  # no rule covers it


def test_a_declared_purpose_narrows_the_rules_and_the_latest_due_date_names_the_rule() -> None:
    assert field_rules([IPS, STATS], IP, "fraud-prevention", ()) == ((IPS,),)
    both = field_rules([IPS, STATS], IP, None, ())
    assert both == ((IPS, STATS),)
    plan = DatedPlan("logins", date(2026, 1, 1), {"ip": both})
    collected = datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert plan.due(collected) == {}  # 13 months have not run
    later = DatedPlan("logins", date(2026, 2, 1), {"ip": both})
    assert later.due(collected) == {"ip": "stats"}
