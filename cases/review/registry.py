"""The reviewers this process knows, by name; which of them run for a permit type."""

from __future__ import annotations

from cases.catalogue import PermitType, ReviewPolicy, line_at, yaml_lines
from cases.errors import CatalogueProblem, NotFound
from cases.facts import messages
from cases.review.base import Reviewer

__all__ = [
    "all_reviewers",
    "check_policy",
    "get_reviewer",
    "register",
    "reviewers_for",
    "unregister",
]

_REVIEWERS: dict[str, Reviewer] = {}


def register(reviewer: Reviewer) -> Reviewer:
    """Make ``reviewer`` known by its name (a second one of the same name replaces it)."""
    if not isinstance(reviewer, Reviewer):
        raise TypeError(f"{reviewer!r} is not a reviewer (name, version, model, review())")
    _REVIEWERS[reviewer.name] = reviewer
    return reviewer


def unregister(name: str) -> None:
    _REVIEWERS.pop(name, None)


def get_reviewer(name: str) -> Reviewer:
    try:
        return _REVIEWERS[name]
    except KeyError:
        known = ", ".join(sorted(_REVIEWERS)) or "none"
        raise NotFound(f"No reviewer is called '{name}' (known: {known})") from None


def all_reviewers() -> list[Reviewer]:
    return list(_REVIEWERS.values())


def reviewers_for(policy: ReviewPolicy) -> list[Reviewer]:
    """The reviewers a permit's policy runs, in its order (absent: those on by default)."""
    if policy.reviewers is None:
        return [r for r in _REVIEWERS.values() if r.on_by_default]
    return [get_reviewer(name) for name in policy.reviewers]


def check_policy(permit_type: PermitType) -> list[CatalogueProblem]:
    """Each reviewer ``review: reviewers:`` names is one this engine has, and each finding code
    the scoring table gives points to is one some reviewer declares."""
    known = sorted(_REVIEWERS)
    permit_yaml = permit_type.folder / "permit.yaml"
    lines = yaml_lines(permit_yaml)
    codes = {m.code for m in messages()}
    unknown_codes = [
        CatalogueProblem(
            permit_yaml,
            line_at(lines, "review", "scoring", "points", code),
            f"review.scoring.points.{code}",
            f"no finding has the code '{code}'",
        )
        for code in permit_type.permit.review.scoring.points
        if code not in codes
    ]
    return unknown_codes + [
        CatalogueProblem(
            permit_yaml,
            line_at(lines, "review", "reviewers", i),
            f"review.reviewers.{i}",
            f"no reviewer is called '{name}' (known: {', '.join(known)})",
        )
        for i, name in enumerate(permit_type.permit.review.reviewers or [])
        if name not in _REVIEWERS
    ]
