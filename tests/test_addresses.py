"""Hong Kong addresses are stored in one canonical form, and one without a district is flagged."""

from __future__ import annotations

import pytest

from cases.catalogue import FieldType
from cases.facts import render
from cases.values import normalise, normalise_address


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
        ("SHOP 8 G/F 295 HENNESSY ROAD WAN CHAI", "SHOP 8, G/F, 295 HENNESSY ROAD, WAN CHAI"),
    ],
)
def test_punctuation_floors_and_districts_are_made_canonical(read: str, canonical: str) -> None:
    assert normalise_address(read) == (canonical, None)
    assert normalise(FieldType.ADDRESS, read) == (canonical, None)


def test_an_address_without_a_district_is_flagged_with_what_to_do() -> None:
    value, problem = normalise(FieldType.ADDRESS, "Flat 3, 12 Some Street")
    assert value is None
    assert problem is not None
    assert "does not end with a Hong Kong district or area" in render(problem)
    assert "check the address against the document" in render(problem)


def test_a_street_named_after_a_district_is_not_taken_for_one() -> None:
    value, _ = normalise_address("Shop 3, 2/F, 10 Shau Kei Wan Road, Sai Wan Ho")
    assert value == "Shop 3, 2/F, 10 Shau Kei Wan Road, Sai Wan Ho"


@pytest.mark.parametrize(
    ("read", "canonical"),
    [
        # a handwritten "1/" run together into one letter
        ("SHOP 10, VF, 37 HENNESSY ROAD, WAN CHAI", "SHOP 10, 1/F, 37 HENNESSY ROAD, WAN CHAI"),
        # a 1 read as a letter or a bracket, the comma before it lost
        ("SHOP 6 I/, 60 NATHAN ROAD' KOWLOON", "SHOP 6, 1/F, 60 NATHAN ROAD, KOWLOON"),
        ("SHOP 5, IF, 371 HENNESSY ROAD, WAN CHAI", "SHOP 5, 1/F, 371 HENNESSY ROAD, WAN CHAI"),
        ("SHOP 8, )/F, 50 NATHAN ROAD, KOWLOON", "SHOP 8, 1/F, 50 NATHAN ROAD, KOWLOON"),
        # a 2 read as Z, and the F lost after the slash
        ("SHOP 3, Z/F, 307 NATHAN ROAD, KOWLOON", "SHOP 3, 2/F, 307 NATHAN ROAD, KOWLOON"),
        ("SHOP 9 2/, 28 NATHAN ROAD' KOWLOON", "SHOP 9, 2/F, 28 NATHAN ROAD, KOWLOON"),
        ("SHOP 12, G/, 174 NATHAN ROAD, KOWLOON", "SHOP 12, G/F, 174 NATHAN ROAD, KOWLOON"),
        ("SHOP 12, V/F, 35 NATHAN ROAD, KOWLOON", "SHOP 12, 1/F, 35 NATHAN ROAD, KOWLOON"),
        # a 0 read as the letter O, in a number
        ("SHOP 1O, 1/F, 3O7 NATHAN ROAD, KOWLOON", "SHOP 10, 1/F, 307 NATHAN ROAD, KOWLOON"),
        # the comma after the unit read as a full stop
        ("SHOP 6. G/F, 136 NATHAN ROAD, KOWLOON", "SHOP 6, G/F, 136 NATHAN ROAD, KOWLOON"),
    ],
)
def test_a_floor_misread_in_handwriting_is_repaired(read: str, canonical: str) -> None:
    assert normalise_address(read) == (canonical, None)


@pytest.mark.parametrize(
    "address",
    [
        "Flat Z, 3/F, Block B, 12 Tai Hang Road, Wan Chai",
        "Unit 12/14, 3/F, 8 Lockhart Road, Wan Chai",
        "Room V, 2/F, 8 Nathan Road, Kowloon",
        "Shop 5, UG/F, Lai Chi Kok Road, Mong Kok",
        "Shop 10, G/F, 8 Po Yap Road, Tseung Kwan O",
    ],
)
def test_words_that_only_look_like_a_floor_are_left_alone(address: str) -> None:
    value, problem = normalise_address(address)
    assert problem is None
    assert value is not None
    assert value.split(", ")[:-1] == address.split(", ")[:-1]


def test_a_lone_f_is_not_guessed_into_a_floor() -> None:
    """ "SHOP 12, F, ..." lost the floor's number: nothing says which, so nothing is made up."""
    value, _ = normalise_address("SHOP 12, F, 35 NATHAN ROAD, KOWLOON")
    assert value == "SHOP 12, F, 35 NATHAN ROAD, KOWLOON"
