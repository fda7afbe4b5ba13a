"""Close-match suggestions for error messages ("did you mean ...?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Return up to ``n`` candidates close to ``word``, best first.

    Codes (INSEE, SIREN) are compared as strings: a dropped or swapped digit still scores
    high with difflib's ratio, which is what users mistype.
    """
    pool = list(candidates)
    lowered = word.lower()
    # A prefix or fragment of a longer name ("densite" for "densite_population") is the most
    # common slip and scores low on edit distance, so it is matched first.
    contained = [c for c in pool if lowered and lowered in c.lower()] if len(word) >= 3 else []
    fuzzy = difflib.get_close_matches(word, pool, n=n, cutoff=cutoff)
    return list(dict.fromkeys(contained[:n] + fuzzy))[:n]


def did_you_mean(word: str, candidates: Iterable[str], describe: dict[str, str] | None = None) -> str | None:
    matches = close_matches(word, candidates)
    if not matches:
        return None
    shown = [f"{m} ({describe[m]})" if describe and m in describe else m for m in matches]
    return "did you mean " + ", ".join(shown) + "?"
