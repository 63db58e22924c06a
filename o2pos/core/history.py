"""What this till has issued, newest first: the list the reprint screen offers."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from o2pos.core.context import Context
from o2pos.core.journal import DOCUMENT_NUMBERS, document_where
from o2pos.core.models import sql
from o2pos.core.vouchers import VOUCHER_SKU


class DocumentRow(NamedTuple):
    number: str
    issued_at: datetime  # naive UTC, as stored
    kind: str  # bill | payment | return | cash in | cash out | no sale | Z report | stock count
    amount: int


# Each part takes its newest rows by an index before they are merged, so the list costs
# the same with a year of sales as with a day's.
_RECENT = """
SELECT * FROM (SELECT number, completed_at, 'bill', total FROM sale
               WHERE status = 'completed' AND terminal_id = :t
               ORDER BY completed_at DESC, id DESC LIMIT :n)
UNION ALL
SELECT * FROM (SELECT number, created_at, 'payment', amount FROM receipt
               WHERE terminal_id = :t ORDER BY created_at DESC, id DESC LIMIT :n)
UNION ALL
SELECT * FROM (SELECT number, created_at, 'return', total FROM "return"
               WHERE terminal_id = :t ORDER BY created_at DESC, id DESC LIMIT :n)
UNION ALL
SELECT * FROM (SELECT m.number, m.created_at,
                      CASE m.kind WHEN 'in' THEN 'cash in' WHEN 'out' THEN 'cash out'
                                  ELSE 'no sale' END,
                      m.amount
               FROM cash_movement m JOIN register_session s ON s.id = m.session_id
               WHERE s.terminal_id = :t ORDER BY m.created_at DESC, m.id DESC LIMIT :n)
UNION ALL
SELECT * FROM (SELECT z_number, closed_at, 'Z report', COALESCE(counted_cash, 0)
               FROM register_session WHERE terminal_id = :t AND z_number IS NOT NULL
               ORDER BY closed_at DESC, id DESC LIMIT :n)
UNION ALL
SELECT * FROM (SELECT c.number, c.posted_at, 'stock count',
                      COALESCE((SELECT json_extract(payload, '$.value') FROM journal
                                WHERE {count_event} = c.number), 0)
               FROM stock_count c WHERE c.status = 'posted'
               ORDER BY c.posted_at DESC, c.id DESC LIMIT :n)
ORDER BY 2 DESC, 1 DESC LIMIT :n
""".format(
    # a count's value is its event's, found through the journal's document-number index
    count_event=document_where("$.number", DOCUMENT_NUMBERS[0][2])
)


def _moment(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def recent_documents(ctx: Context, limit: int = 50) -> list[DocumentRow]:
    """The newest ``limit`` bills, payments, returns, cash slips, Z reports and stock counts
    (their value) of this till."""
    rows = sql(_RECENT, {"t": ctx.terminal_id, "n": limit}).fetchall()
    return [DocumentRow(number, _moment(when), kind, amount) for number, when, kind, amount in rows]


class TopProduct(NamedTuple):
    sku: str
    name: str
    qty_milli: int
    amount: int


# per SKU: what this till sold between :start and :end, less what it took back then (its
# own sales' goods and other tills'), as net sales are counted on the Z report
_TOP = """
SELECT sku, MAX(name), SUM(qty), SUM(amount) FROM (
  SELECT l.sku AS sku, l.name AS name, l.qty_milli AS qty, l.total AS amount
  FROM sale_line l JOIN sale s ON s.id = l.sale_id
  WHERE s.status = 'completed' AND s.terminal_id = :t
    AND s.completed_at >= :start AND s.completed_at < :end
  UNION ALL
  SELECT l.sku, l.name, -rl.qty_milli, -rl.total
  FROM return_line rl JOIN "return" r ON r.id = rl.return_id
  JOIN sale_line l ON l.id = rl.sale_line_id
  WHERE r.terminal_id = :t AND r.created_at >= :start AND r.created_at < :end
  UNION ALL
  SELECT rl.sku, rl.name, -rl.qty_milli, -rl.total
  FROM remote_return_line rl JOIN remote_return r ON r.id = rl.return_id
  WHERE r.terminal_id = :t AND r.created_at >= :start AND r.created_at < :end
)
WHERE sku <> :voucher
GROUP BY sku HAVING SUM(amount) > 0
ORDER BY SUM(amount) DESC, sku LIMIT :n
"""


def top_products(ctx: Context, start: datetime, end: datetime, limit: int = 5) -> list[TopProduct]:
    """What sold most by value on this till between ``start`` and ``end`` (naive UTC), net
    of what came back at it meanwhile: a line returned whole no longer tops the list.

    Gift vouchers sold are stored value, not products: they are left out.
    """
    params = {"t": ctx.terminal_id, "start": start, "end": end, "voucher": VOUCHER_SKU}
    rows = sql(_TOP, {**params, "n": limit}).fetchall()
    return [TopProduct(*row) for row in rows]
