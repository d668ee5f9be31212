"""The MST rule of core/validation.py (its own few lines, so that starting the app imports no python-stdnum) says
what python-stdnum's ``stdnum.vn.mst`` says, which stays the oracle here."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.vn import mst as vn_mst

from tui_ibhxh.core.validation import mst_check_digit_ok, mst_ok, normalise_mst

#: digits (ASCII, full-width, mathematical, Arabic-Indic), separators and their look-alikes, other characters
ALPHABET = "0123456789" * 4 + "０１２𝟎𝟗٣ -.\u2013\u2212\u3000\xa0\t,*/x"


def _with_check_digit(body: str) -> str:
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    return body + str(10 - sum(w * int(n) for w, n in zip(weights, body, strict=True)) % 11)


@settings(max_examples=3000)
@given(st.text(alphabet=ALPHABET, max_size=16))
def test_any_text_is_judged_as_python_stdnum_judges_it(value: str) -> None:
    assert mst_check_digit_ok(value) == vn_mst.is_valid(value)


@settings(max_examples=1000)
@given(st.from_regex(r"[0-9]{9}", fullmatch=True), st.sampled_from(["", "-001", "-000", " 199", "-1"]))
def test_mst_with_their_check_digit_as_python_stdnum(body: str, branch: str) -> None:
    value = _with_check_digit(body) + branch  # a remainder of 0 gives "10": no valid MST
    assert mst_check_digit_ok(value) == vn_mst.is_valid(value)


@given(st.text(alphabet="0123456789０１𝟎 -.\u2013\u3000", max_size=16))
def test_normalised_as_python_stdnum_compacts(value: str) -> None:
    assert normalise_mst(value) == vn_mst.compact(value).replace(" ", "").upper()


def test_known_numbers() -> None:
    assert mst_ok("0100686209") and mst_ok("0100686209-199") and mst_ok("0100686209 199")
    assert not mst_ok("0100686208") and not mst_ok("0100686209-000") and not mst_ok("0100000009")
    assert mst_ok("001234567890")  # a personal identification number (12 digits, no check digit of its own)
