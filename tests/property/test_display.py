"""Property tests of how values are shown (core/display.py): the last-four form, [withheld], and
which categories are masked."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from privault.core.display import MASK, WITHHELD, Display, as_shown, category_display, last_four
from privault.core.manifest import Manifest
from privault.core.manifest.model import DataCategory
from privault.core.taxonomy import fides_categories, fides_display


def _significant(text: str) -> list[str]:
    return [c for c in text if c.isalnum()]


@given(st.text())
def test_the_masked_form_never_holds_more_than_four_of_the_values_letters_or_digits(
    value: str,
) -> None:
    """Whatever the value, at most four of its letters or digits are shown."""
    shown = last_four(value)
    assert shown is not None
    assert len(_significant(shown)) <= 4


@given(st.text())
def test_a_longer_value_ends_with_its_last_four_letters_or_digits(value: str) -> None:
    """More than four letters or digits: the mask, then exactly the last four; else nothing of it."""
    shown = last_four(value)
    significant = _significant(value)
    if len(significant) > 4:
        assert shown == MASK + "".join(significant[-4:])
    elif value:
        assert shown == MASK


@given(st.integers())
def test_a_number_shows_at_most_its_last_four_digits(value: int) -> None:
    """An integer is read as its digits: the last four when it has more, else nothing."""
    shown = last_four(value)
    digits = str(abs(value))
    assert shown == (MASK + digits[-4:] if len(digits) > 4 else MASK)


_VALUES = st.text(min_size=1) | st.integers() | st.floats() | st.lists(st.text()) | st.booleans()


@given(_VALUES)
def test_a_withheld_value_always_reads_the_same_marker(value: object) -> None:
    """Whatever the value, withheld it reads [withheld]: nothing of it shows, not even its length."""
    assert as_shown(value, Display.WITHHELD) == WITHHELD


@given(st.sampled_from(sorted(fides_categories())))
def test_a_category_shows_no_more_than_any_category_above_it(key: str) -> None:
    """A fideslang category is masked at least as strictly as each of its ancestors."""
    order = list(Display)
    ancestors = [key.rsplit(".", depth)[0] for depth in range(1, key.count(".") + 1)]
    for ancestor in ancestors:
        assert order.index(fides_display(key)) >= order.index(fides_display(ancestor))


@given(st.sampled_from(sorted(fides_categories())), st.sampled_from(sorted(fides_categories())))
def test_an_extension_is_shown_as_its_parent(manifest: Manifest, parent: str, other: str) -> None:
    """An extension declared under any fideslang key shows as that key does; fideslang keys as
    their own."""
    manifest = manifest.model_copy(
        update={"data_categories": [DataCategory(key="x.ext", name="Ext", parent=parent)]}
    )
    assert category_display(manifest, "x.ext") is fides_display(parent)
    assert category_display(manifest, other) is fides_display(other)
