"""Hong Kong addresses are stored in one canonical form, and one without a district is flagged."""

from __future__ import annotations

import pytest

from cases.addresses import normalise_address
from cases.catalogue import FieldType
from cases.validators import normalise


@pytest.mark.parametrize(
    ("read", "canonical"),
    [
        ("Shop 4, 2/F, 125 Hennessy Road, Wan Chai", "Shop 4, 2/F, 125 Hennessy Road, Wan Chai"),
        ("SHOP 5; G/F: 62 NATHAN ROAD, MONG KOK", "SHOP 5, G/F, 62 NATHAN ROAD, MONG KOK"),
        ("SHOP 8 G/F, 295 HENNESSY ROAD WAN CHAI", "SHOP 8, G/F, 295 HENNESSY ROAD, WAN CHAI"),
        ("Shop 5, GF, 18 Hennessy Road, Wan Chai", "Shop 5, G/F, 18 Hennessy Road, Wan Chai"),
        (
            "Room 5, 3F, 8 Queen's Road Central, Central",
            "Room 5, 3/F, 8 Queen's Road Central, Central",
        ),
        ("SHOP 7, 2/F, 106 HENNESSY ROAD' WAN CHAI", "SHOP 7, 2/F, 106 HENNESSY ROAD, WAN CHAI"),
        ("SHOP 12, 1/F, 35 NATHAN ROAD, KOLLOON", "SHOP 12, 1/F, 35 NATHAN ROAD, KOWLOON"),
        (
            "shop 1, 1/f, 9 castle peak road, tsuen wan",
            "shop 1, 1/F, 9 castle peak road, Tsuen Wan",
        ),
    ],
)
def test_punctuation_floors_and_districts_are_made_canonical(read: str, canonical: str) -> None:
    assert normalise_address(read) == (canonical, None)
    assert normalise(FieldType.ADDRESS, read) == (canonical, None)


def test_an_address_without_a_district_is_flagged_with_what_to_do() -> None:
    value, problem = normalise(FieldType.ADDRESS, "Flat 3, 12 Some Street")
    assert value is None
    assert problem is not None
    assert "does not end with a Hong Kong district or area" in problem
    assert "check the address against the document" in problem


def test_a_street_named_after_a_district_is_not_taken_for_one() -> None:
    value, _ = normalise_address("Shop 3, 2/F, 10 Shau Kei Wan Road, Sai Wan Ho")
    assert value == "Shop 3, 2/F, 10 Shau Kei Wan Road, Sai Wan Ho"
