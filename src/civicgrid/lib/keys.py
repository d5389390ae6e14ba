"""Whether a secret key is strong enough for production.

A key is refused when it is a published example (the defaults, the values in
``.env.example``), shorter than ``MIN_LENGTH`` characters, or too predictable:
its characters, counted as they occur, carry fewer than ``MIN_BITS`` bits
(a short alphabet, ``aaaa…``), or it compresses (a repeated pattern). Keys made by
``python -c "import secrets; print(secrets.token_urlsafe(50))"`` pass easily."""

import math
import zlib
from collections import Counter

MIN_LENGTH = 50
MIN_BITS = 192
# A random key does not compress (random hex stays above 0.85 of its length);
# one made of a repeated pattern does.
MIN_COMPRESSED_RATIO = 0.75
# Values printed in the docs or shipped as defaults: known to everyone.
PUBLISHED = frozenset(
    {
        "change-me",
        "change-me-too",
        "civicgrid-development-secret-not-for-production",
        "civicgrid-development-data-key-not-for-production",
    }
)


def estimated_bits(value: str) -> float:
    """Shannon entropy of the key's own characters, times its length: an
    upper bound on what a guesser who knows the key's alphabet faces."""
    counts = Counter(value)
    total = len(value)
    per_character = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_character * total


def weakness(value: str) -> str | None:
    """Why ``value`` is too weak to be a production key, or None."""
    if value.strip() in PUBLISHED or "change-me" in value.lower():
        return "is a published example value"
    if len(value) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    repeats = len(zlib.compress(value.encode(), 9)) < MIN_COMPRESSED_RATIO * len(value)
    if repeats or estimated_bits(value) < MIN_BITS:
        return "is too predictable (repeated or too few different characters)"
    return None
