"""``privault datastores test`` and ``update`` from the command line: findings with their codes and
hints, the collections counted, a URL or dataset changed in place (audited), unknown categories
refused (both engines for privault's own database; the shop is a SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from privault.bootstrap import Container
from privault.services.datastores import list_datastores
from privault.services.tenants import bind_tenant
from tests.fixtures.shop import create_shop, seed, shop_dataset_text


def _shop(path: Path, customers: int) -> str:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    create_shop(engine)
    seed(engine, customers=customers)
    engine.dispose()
    return url


def _run(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


@pytest.fixture
def desk(cli, tmp_path: Path):
    """The schema, the manifest applied, the shop (four customers) connected as ``shop``."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    url = _shop(tmp_path / "shop.db", 4)
    dataset = tmp_path / "shop.yml"
    dataset.write_text(shop_dataset_text())
    code, _, err = cli(
        "datastores", "add", "shop", "--tenant", "bluewave", "--url", url, "--dataset", str(dataset)
    )
    assert code == 0, err
    return cli


def _changes(container: Container) -> list[dict[str, object]]:
    """The details of the datastore:change audit events, oldest first."""
    with container.uow() as uow:
        bind_tenant(uow, "bluewave")
        events = uow.audit.recent(50, action="datastore:change")
    return [json.loads(e.details) for e in reversed(events)]


def test_the_test_prints_each_finding_with_its_hint_and_the_rows_counted(
    desk, tmp_path: Path
) -> None:
    """A phone the comparison misses is an error (shape only, no value); the hint's index, once
    created, silences the warning; fixed, the datastore is ok."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    _run(url, "UPDATE customers SET phone = '+44 7700\u2013000003' WHERE id = 3")
    code, out, _ = desk("datastores", "test", "shop", "--tenant", "bluewave")
    assert code == 1
    assert "order_items" in out
    assert "16" in out  # order_items rows
    assert "error: identity.form_missed customers.phone: 1 of 4 sampled values" in out
    assert "  hint: SQLite's comparison removes only" in out
    assert "000003" not in out
    assert "warning: identity.no_index customers.email:" in out
    index = "CREATE INDEX customers_email_match ON customers (lower(trim(email)))"
    assert f"  hint: create one: {index}" in out
    assert "shop: NOT OK (8 collections, 1 errors, " in out
    _run(url, index, "UPDATE customers SET phone = '+44 7700 000003' WHERE id = 3")
    code, out, _ = desk("datastores", "test", "shop", "--tenant", "bluewave")
    assert code == 0
    assert "customers.email" not in out
    assert "shop: ok (8 collections, 0 errors, " in out


def test_update_changes_the_url_and_the_dataset_in_place_and_audits_the_parts(
    desk, container: Container, tmp_path: Path
) -> None:
    """A new URL: listed (masked), never tested since, the new database counted; a new dataset;
    the same dataset again changes nothing. The audit names the parts, never the URL."""
    other = _shop(tmp_path / "other.db", 2)
    code, out, _ = desk("datastores", "update", "shop", "--tenant", "bluewave", "--url", other)
    assert code == 0
    assert "datastore shop: url updated (sqlite, 8 collections)" in out
    code, out, _ = desk("datastores", "list", "--tenant", "bluewave")
    assert "never" in out
    (listed,) = list_datastores(container.deps, "bluewave")
    assert (listed.url, listed.last_tested_at) == (other, None)
    code, out, _ = desk("datastores", "test", "shop", "--tenant", "bluewave")
    assert code == 0
    assert "│ customers   │ 2    │" in out
    document = yaml.safe_load(shop_dataset_text())
    document["privault"] = {"mask": ["tickets"]}
    masked = tmp_path / "masked.yml"
    masked.write_text(yaml.safe_dump(document))
    update = ("datastores", "update", "shop", "--tenant", "bluewave", "--dataset", str(masked))
    code, out, _ = desk(*update)
    assert "datastore shop: dataset updated" in out
    code, out, _ = desk(*update)
    assert "datastore shop: unchanged" in out
    changes = _changes(container)
    assert changes[-2:] == [
        {"key": "shop", "changed": ["url"]},
        {"key": "shop", "changed": ["dataset"]},
    ]
    assert "other.db" not in json.dumps(changes)


def test_an_unknown_category_is_refused_at_add_and_at_update(desk, tmp_path: Path) -> None:
    """``user.name.frist``: dataset.invalid naming the field and the close match; a category the
    manifest declares is accepted."""
    bad = tmp_path / "bad.yml"
    bad.write_text(shop_dataset_text().replace("[user.name]", "[user.name.frist]"))
    code, _, err = desk(
        "datastores", "update", "shop", "--tenant", "bluewave", "--dataset", str(bad)
    )
    assert code == 2
    assert "dataset.invalid" in err
    assert "(name).data_categories: unknown category 'user.name.frist'" in err
    assert "did you mean 'user.name.first'?" in err
    url = _shop(tmp_path / "crm.db", 1)
    add = ("datastores", "add", "crm", "--tenant", "bluewave", "--url", url, "--dataset")
    code, _, err = desk(*add, str(bad))
    assert code == 2
    assert "dataset.invalid" in err
    own = tmp_path / "own.yml"
    own.write_text(shop_dataset_text().replace("[user.name]", "[cc.account.number]"))
    assert desk(*add, str(own))[0] == 0


def test_update_refuses_a_manual_system_an_unknown_key_and_nothing_to_change(desk) -> None:
    """A manual system has no URL; an unknown key is datastore.unknown; --url or --dataset is
    needed."""
    desk(
        "datastores", "add", "desk", "--tenant", "bluewave", "--manual", "--owner", "it@example.com"
    )
    code, _, err = desk(
        "datastores", "update", "desk", "--tenant", "bluewave", "--url", "sqlite:///x.db"
    )
    assert (code, "datastore.invalid" in err) == (2, True)
    code, _, err = desk(
        "datastores", "update", "nope", "--tenant", "bluewave", "--url", "sqlite:///x.db"
    )
    assert (code, "datastore.unknown" in err) == (3, True)
    code, _, _ = desk("datastores", "update", "shop", "--tenant", "bluewave")
    assert code == 2
