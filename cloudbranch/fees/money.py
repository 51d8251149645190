"""Money arithmetic: ``Decimal`` only, rounded to the fen half up (ADR 0005)."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(value) -> Decimal:
    """Round to the fen, half up (0.005 → 0.01). Floats are refused: they cannot hold money."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
