"""Company names: how they are cleaned for display and keyed for identity.

"Alibaba", "alibaba ", "Ａｌｉｂａｂａ" (full-width), a name with a zero-width space and
its NFD spelling are one company. The key is stored in a unique column so that two
writers racing to create the same new company under different spellings cannot both
succeed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_name(name: str) -> str:
    """The spelling to store and show: NFC, no invisible characters, single spaces."""
    text = unicodedata.normalize("NFC", str(name))
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


def company_key(name: str) -> str:
    """Identity of a company name: NFKC, no invisible characters, trimmed, case-folded."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", str(name)))
    return _SPACES.sub(" ", text).strip().casefold()


def _per_distinct(names: pd.Series, one: Callable[[str], str]) -> pd.Series:
    """``one`` applied to each distinct name once (few companies, many rows)."""
    codes, distinct = pd.factorize(names.astype(str), use_na_sentinel=False)
    out = np.array([one(n) for n in distinct], dtype=object)
    return pd.Series(out[codes], index=names.index, dtype=object)


def company_keys(names: pd.Series) -> pd.Series:
    """:func:`company_key` of every name."""
    return _per_distinct(names, company_key)


def clean_names(names: pd.Series) -> pd.Series:
    """:func:`clean_name` of every name."""
    return _per_distinct(names, clean_name)


def has_control_characters(values: pd.Series) -> pd.Series:
    """Cells holding terminal control characters (ESC, BEL, ...); tab and newline pass."""
    return values.astype(str).str.contains(_CONTROL, regex=True)
