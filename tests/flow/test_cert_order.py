"""The token's certificates are listed in one order, whatever order the token gives them in: usable first, then
by expiry (longest-lived first); a CA's revocation verdict, which arrives later, never moves a row."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from tests.ui.fake_backend import CHOICES, REVOKED, WEAK_CHOICE
from tui_ibhxh.core.models import Problem, ProblemCode
from tui_ibhxh.services.workflow import CertChoice, in_order, preferred_choice


def labels(choices: Sequence[CertChoice]) -> list[str]:
    return [c.cert.label for c in choices]


def test_the_order_is_the_same_whatever_the_tokens_order() -> None:
    every = [*CHOICES, WEAK_CHOICE]
    first = in_order(every)
    shuffler = random.Random(17)
    for _ in range(20):
        shuffled = every[:]
        shuffler.shuffle(shuffled)
        assert labels(in_order(shuffled)) == labels(first)


def test_usable_first_then_by_expiry() -> None:
    ordered = in_order([*CHOICES, WEAK_CHOICE])
    usable = [c for c in ordered if c.usable]
    assert ordered[: len(usable)] == usable and usable
    for group in (usable, ordered[len(usable) :]):
        ends = [c.cert.info.not_after for c in group]
        assert ends == sorted(ends, reverse=True)
    assert preferred_choice(ordered) == 0  # the best candidate heads the list


def test_a_revocation_verdict_does_not_move_a_row() -> None:
    before = in_order(CHOICES)
    revoked = [
        replace(c, problems=(*c.problems, Problem(ProblemCode.REVOKED))) if c.cert.info.serial == REVOKED.serial else c
        for c in CHOICES
    ]
    after = in_order(revoked)
    assert labels(after) == labels(before)
    assert not next(c for c in after if c.cert.info.serial == REVOKED.serial).usable
