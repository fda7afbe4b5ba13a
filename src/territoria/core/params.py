"""Whole numbers in HTTP query parameters: the ASCII digits 0-9 and nothing else.

A typed ``int`` query parameter is parsed by pydantic, which trims Unicode whitespace and accepts
``"\\x853"`` (NEL, then 3) or ``" 3 "`` as 3: a value the OpenAPI document forbids would be served
as if it were another. Every whole-number query parameter of the API is declared ``WholeNumber``
so that such a value is refused (422) and named, as OGC API's and SensorThings' own parameters are.
The refusal has its own error type (``WHOLE_NUMBER``), by which the API's error handler gives the
caller a hint with an example (``whole_number_hint``).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

DIGITS = re.compile(r"-?[0-9]{1,18}")
#: the pydantic error type of a refused value (a ValueError would be the generic ``value_error``)
WHOLE_NUMBER = "whole_number"


def _digits(value: object) -> object:
    if isinstance(value, str) and not DIGITS.fullmatch(value):
        raise PydanticCustomError(
            WHOLE_NUMBER,
            "a whole number written with the digits 0-9 only (no spaces, signs other than -, or decimals)",
        )
    return value


def whole_number_hint(name: str) -> str:
    """What to send instead, for the query parameter ``name`` (7 is within every one's bounds)."""
    return f"send a whole number in ASCII digits, e.g. {name}=7"


WholeNumber = Annotated[int, BeforeValidator(_digits)]
