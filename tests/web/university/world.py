"""A small published world for university tests: two universities, rounds, placed students."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from app.models import ApplicationStatus, PlacementState, RoundStatus, utcnow
from tests.factories import Factory, _id


@dataclass
class Side:
    """One university's objects (ids only: safe to use outside an app context)."""

    university_id: int
    program_id: int
    accepted_id: int  # placement of an accepted student
    offered_id: int  # placement of a student who has not answered yet
    accepted_application_id: int


@dataclass
class World:
    cycle_id: int
    round_id: int
    hidden_round_id: int
    hidden_placement_id: int  # in a round that is not published
    a: Side
    b: Side


def _side(make: Factory, cycle: Any, round_: Any, tag: str) -> Side:
    uni = make.university(name_en=f"University {tag}")
    program = make.program(uni, name_en=f"Informatics {tag}", language="kk")
    make.quota(cycle, program, places=2)
    accepted = make.application(
        make.user("applicant", preferred_language="fa_AF"),
        cycle,
        programs=[program],
        score=120,
        status=ApplicationStatus.ACCEPTED,
        name_native="مریم رحیمی",
        name_latin=f"Maryam Rahimi {tag}",
        name_cyrillic="Марьям Рахими",
        contact_email=f"maryam.{tag.lower()}@test.example",
        phone="+7 700 000 00 01",
    )
    offered = make.application(
        make.user("applicant"),
        cycle,
        programs=[program],
        score=110,
        status=ApplicationStatus.PLACED,
        name_latin=f"Omid Karimi {tag}",
        name_cyrillic="Омид Карими",
        name_native="امید کریمی",
    )
    p_acc = make.placement(round_, accepted, program, state=PlacementState.ACCEPTED)
    p_off = make.placement(round_, offered, program, state=PlacementState.OFFERED, choice_rank=2)
    return Side(_id(uni), _id(program), _id(p_acc), _id(p_off), _id(accepted))


def build(make: Factory, *, started_days_ago: int = 30) -> World:
    """Build two universities with a published round and a hidden (unpublished) one."""
    cycle = make.cycle(starts_on=utcnow() - timedelta(days=started_days_ago))
    round_ = make.round(cycle, number=1)
    a = _side(make, cycle, round_, "A")
    b = _side(make, cycle, round_, "B")
    hidden = make.round(cycle, number=2, status=RoundStatus.SOLVED, dry_run=True)
    secret = make.application(
        make.user("applicant"),
        cycle,
        score=99,
        status=ApplicationStatus.ELIGIBLE,
        name_latin="Hidden Student",
    )
    hidden_p = make.placement(
        hidden, secret, SimpleNamespace(id=a.program_id), state=PlacementState.PROPOSED
    )
    return World(_id(cycle), _id(round_), _id(hidden), _id(hidden_p), a, b)
