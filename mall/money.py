"""Money is Decimal CNY with two places; never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value) -> Decimal:
    """Parse a value into a 2-place Decimal; raises ValueError for anything else (floats too)."""
    if isinstance(value, float):
        raise ValueError("money must not be a float")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_cny(value: Decimal | None) -> str:
    """¥1,234.50 for pages."""
    if value is None:
        return "—"
    return f"¥{value:,.2f}"
