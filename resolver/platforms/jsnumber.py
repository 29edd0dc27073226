"""JavaScript's ``Number.prototype.toString(radix)`` for doubles, digit for digit.

Twitter's embed computes the syndication token as
``((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\\.)/g, "")``. JavaScript engines print a
non-integer in another radix with the *shortest* digits that still identify the double (they stop when the
remaining fraction is below half the gap to the next double, rounding half to even, carrying back into
earlier digits when a round-up overflows). Ports that print a fixed number of digits produce other tokens.
This follows that algorithm in plain Python floats, which are the same IEEE doubles.
"""

from __future__ import annotations

import math

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def to_radix_string(value: float, radix: int) -> str:
    if not 2 <= radix <= 36:
        raise ValueError("radix must be between 2 and 36")
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-Infinity" if value < 0 else "Infinity"
    negative = value < 0
    value = -value if negative else value
    integer = float(math.floor(value))
    fraction = value - integer
    # Fractional digits only as far as the double's own precision reaches.
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.nextafter(0.0, 1.0))
    fraction_digits: list[int] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            fraction_digits.append(digit)
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
                # Round up, carrying back through digits that are already radix - 1.
                while True:
                    if not fraction_digits:
                        integer += 1
                        break
                    last = fraction_digits.pop() + 1
                    if last < radix:
                        fraction_digits.append(last)
                        break
                break
            if fraction < delta:
                break
    integer_digits: list[str] = []
    # Digits of an integer part too large for unit precision are zeros (never the case for tokens).
    while math.frexp(integer / radix)[1] > 53:
        integer /= radix
        integer_digits.append("0")
    while True:
        remainder = math.fmod(integer, radix)
        integer_digits.append(DIGITS[int(remainder)])
        integer = (integer - remainder) / radix
        if integer <= 0:
            break
    text = "".join(reversed(integer_digits))
    if fraction_digits:
        text += "." + "".join(DIGITS[d] for d in fraction_digits)
    return "-" + text if negative else text


def syndication_token(tweet_id: str) -> str:
    """The ``token`` parameter of cdn.syndication.twimg.com/tweet-result for a tweet id."""
    value = (float(int(tweet_id)) / 1e15) * math.pi
    return to_radix_string(value, 36).replace(".", "").replace("0", "")
