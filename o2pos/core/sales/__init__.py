"""Bills: draft → held → completed, or cancelled.

A draft is saved at every change (one short transaction each), so a till killed mid-bill
resumes it exactly. Lines copy the product's price, tax and name when rung up: a price
pulled from the central later does not change a bill in progress. Completing a bill
allocates its number, moves stock, lots and serials, records its payment and writes the
``sale.completed`` event, all in one transaction.

The package holds one concern a module: ``bills`` (reading, and the views screens show),
``lines`` (ringing up), ``discounts``, ``repricing`` (every change prices the bill again),
``lifecycle`` (new, customer, hold, recall, void), ``completion`` (checkout, save unpaid)
and ``payloads`` (what the journal carries). Callers use the names below.
"""

from o2pos.core.sales.bills import (
    BillView,
    HeldBill,
    LineView,
    bill_view,
    find_by_number,
    get,
    held,
    held_bills,
    line_views,
    lines_of,
    open_draft,
)
from o2pos.core.sales.completion import CheckoutResult, checkout, save_unpaid
from o2pos.core.sales.discounts import (
    apply_coupon,
    override_price,
    remove_coupon,
    set_line_discount,
    set_order_discount,
)
from o2pos.core.sales.lifecycle import (
    DELIVERY_MARKS,
    cancel,
    current_bill,
    hold,
    new,
    recall,
    set_customer,
    set_delivery,
)
from o2pos.core.sales.lines import (
    MAX_LINES,
    MAX_QTY_MILLI,
    LotView,
    SerialRequired,
    add_gift_voucher,
    add_item,
    lots_for,
    parse_scan,
    remove_line,
    set_qty,
)
from o2pos.core.sales.payloads import sale_payload, tax_summary

__all__ = [
    "DELIVERY_MARKS",
    "MAX_LINES",
    "MAX_QTY_MILLI",
    "BillView",
    "CheckoutResult",
    "HeldBill",
    "LineView",
    "LotView",
    "SerialRequired",
    "add_gift_voucher",
    "add_item",
    "apply_coupon",
    "bill_view",
    "cancel",
    "checkout",
    "current_bill",
    "find_by_number",
    "get",
    "held",
    "held_bills",
    "hold",
    "line_views",
    "lines_of",
    "lots_for",
    "new",
    "open_draft",
    "override_price",
    "parse_scan",
    "recall",
    "remove_coupon",
    "remove_line",
    "sale_payload",
    "save_unpaid",
    "set_customer",
    "set_delivery",
    "set_line_discount",
    "set_order_discount",
    "set_qty",
    "tax_summary",
]
