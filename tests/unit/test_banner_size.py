"""The cookie banner script stays small and makes no third-party requests."""

from __future__ import annotations

import gzip
import re

from privault.web.banner import PLACEHOLDER, script_text


def test_banner_script_is_under_15_kb_gzipped() -> None:
    """The issue's target: < 15 KB after gzip."""
    assert len(gzip.compress(script_text().encode("utf-8"), compresslevel=9)) < 15 * 1024


def test_banner_script_names_no_other_host() -> None:
    """No absolute URLs: the script talks only to the privault origin it was loaded from."""
    body = re.sub(r"/\*.*?\*/", "", script_text(), flags=re.DOTALL)
    assert not re.search(r"https?://", body)


def test_banner_script_has_the_configuration_placeholder() -> None:
    """The route writes the tenant's configuration in place of the placeholder."""
    assert script_text().count(PLACEHOLDER) == 1
