"""Free text screened for personal data before anyone outside the department reads it:
e-mail addresses, phone numbers, IBANs and names the city's register knows are replaced
by a placeholder that says what was there."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b", re.I)
# seven or more digits, possibly with spaces, dots, slashes, dashes or a leading +
PHONE = re.compile(r"(?<![\w])\+?\d[\d ./()-]{5,}\d(?![\w])")
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def screen(text: str, names: Iterable[str] = ()) -> tuple[str, set[str]]:
    """The text with personal data replaced, and which kinds were found."""
    found: set[str] = set()

    def mark(kind: str, placeholder: str) -> Callable[[re.Match[str]], str]:
        def replace(_: re.Match[str]) -> str:
            found.add(kind)
            return placeholder

        return replace

    out = EMAIL.sub(mark("email", "[e-mail]"), text)
    out = IBAN.sub(mark("iban", "[IBAN]"), out)
    out = PHONE.sub(mark("phone", "[phone]"), out)
    known = {n.casefold() for n in names if len(n) >= 3}
    if known:

        def name(match: re.Match[str]) -> str:
            if match.group(0).casefold() in known:
                found.add("name")
                return "[name]"
            return match.group(0)

        out = WORD.sub(name, out)
    return out, found
