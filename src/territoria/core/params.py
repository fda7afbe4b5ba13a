"""Whole numbers in HTTP query parameters: the ASCII digits 0-9 and nothing else.

A typed ``int`` query parameter is parsed by pydantic, which trims Unicode whitespace and accepts
``"\\x853"`` (NEL, then 3) or ``" 3 "`` as 3: a value the OpenAPI document forbids would be served
as if it were another. Every whole-number query parameter of the API is declared ``WholeNumber``
so that such a value is refused (422) and named, as OGC API's and SensorThings' own parameters are.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

DIGITS = re.compile(r"-?[0-9]{1,18}")


def _digits(value: object) -> object:
    if isinstance(value, str) and not DIGITS.fullmatch(value):
        raise ValueError("a whole number written with the digits 0-9 only (no spaces, signs other than -, or decimals)")
    return value


WholeNumber = Annotated[int, BeforeValidator(_digits)]
