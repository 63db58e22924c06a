"""Document numbers such as ``S-T1-000042``.

A number is taken inside the transaction that creates the document: if the operation rolls
back, so does the counter, so a series has no gaps and never repeats. The terminal id in the
number keeps two tills from ever printing the same number.
"""

from __future__ import annotations

from o2pos.core.context import Context
from o2pos.core.models import DocumentSeries, sql

# doc_type -> default prefix
DEFAULT_SERIES = {
    "sale": "S",
    "receipt": "R",
    "return": "RT",
    "cash": "C",
    "z_report": "Z",
    "credit_note": "CN",
    "gift_voucher": "GV",
    "delivery": "DN",
    "transfer": "TO",
    "transfer_in": "TI",
    "stock_count": "SC",
}


def allocate(ctx: Context, doc_type: str) -> str:
    if not ctx.db.in_transaction():
        raise RuntimeError("document numbers are allocated inside the document's transaction")
    row = _take(doc_type)
    if row is None and doc_type in DEFAULT_SERIES:
        # a series a later o2pos added (gift vouchers) starts on its first use, so a till
        # initialised before it needs no migration
        DocumentSeries.insert(doc_type=doc_type, prefix=DEFAULT_SERIES[doc_type]).execute()
        row = _take(doc_type)
    if row is None:
        raise RuntimeError(f"no document series {doc_type!r}: run 'o2pos init'")
    prefix, value, padding = row
    return f"{prefix}-{ctx.terminal_id}-{value:0{padding}d}"


def _take(doc_type: str) -> tuple[str, int, int] | None:
    return sql(
        "UPDATE document_series SET next_value = next_value + 1 WHERE doc_type = ? "
        "RETURNING prefix, next_value - 1, padding",
        (doc_type,),
    ).fetchone()


def ensure_series(ctx: Context) -> None:
    for doc_type, prefix in DEFAULT_SERIES.items():
        DocumentSeries.get_or_create(doc_type=doc_type, defaults={"prefix": prefix})
