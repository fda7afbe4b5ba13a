"""Whether a text file may hold a non-ASCII space, found on the reader's passes over its bytes.

The validation trims every text value, and the engine's ``trim`` removes the Unicode space
separators (' ', U+00A0 no-break space, U+1680, U+2000-U+200A, U+202F, U+205F, U+3000) by
copying the value: a third of the CPU of a CSV's typed scan. In a file with none of the
non-ASCII ones, only a value that starts or ends with ' ' changes, which ``LIKE`` tests without
a copy (``validation.expressions.trimmed``). The CSV reader already reads every byte once
(transcoding, or looking for over-long lines): this watches the same chunks, at ``memchr``
speed (a lead byte first, the exact sequences only in the chunks that have one), and answers
"maybe" for an encoding it does not know.
"""

from __future__ import annotations

import codecs

#: UTF-8 lead byte -> the sequences of the non-ASCII spaces it starts (``\xe2\x80`` covers
#: U+2000-U+200A and U+202F, and some punctuation too: a false alarm only costs the trim)
UTF8_SPACES = {
    b"\xc2": (b"\xc2\xa0",),
    b"\xe1": (b"\xe1\x9a\x80",),
    b"\xe2": (b"\xe2\x80", b"\xe2\x81\x9f"),
    b"\xe3": (b"\xe3\x80\x80",),
}
#: single-byte encodings whose only non-ASCII space is 0xA0
SINGLE_BYTE = ("cp1252", "iso8859-1", "iso8859-15")
UTF8 = ("utf-8", "utf-8-sig")


class SpaceWatch:
    """Fed the file's bytes in order; ``found`` once a non-ASCII space may be in them."""

    def __init__(self, encoding: str) -> None:
        self.encoding = codecs.lookup(encoding).name
        self.found = self.encoding not in SINGLE_BYTE + UTF8
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.found or not chunk:
            return
        if self.encoding in SINGLE_BYTE:
            self.found = b"\xa0" in chunk
            return
        # a sequence cut by the chunk boundary is in the previous chunk's last two bytes and this one's first two
        self.found = _utf8_space(self._tail + chunk[:2]) or _utf8_space(chunk)
        self._tail = chunk[-2:]


def _utf8_space(data: bytes) -> bool:
    return any(lead in data and any(seq in data for seq in sequences) for lead, sequences in UTF8_SPACES.items())
