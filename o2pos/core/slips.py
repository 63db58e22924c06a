"""The text of every slip: bills, payment receipts and returns.

The reprint screen shows these exactly; the printer prints the same text, so what the
cashier sees is what the customer gets.
"""

from __future__ import annotations

from o2pos.core.context import Context
from o2pos.core.errors import NotFound
from o2pos.core.models import Receipt, ReceiptAllocation, Return, ReturnLine, Sale, SaleLine
from o2pos.core.money import format_amount, format_percent, format_qty


def _row(label: str, value: str, width: int) -> str:
    return f"{label[: width - len(value) - 1]:<{width - len(value)}}{value}"


def _header(ctx: Context, title: str, number: str, when: object, width: int) -> list[str]:
    store = ctx.settings.store
    out = [store.name.center(width)]
    for extra in (
        store.address,
        store.phone and f"Ph {store.phone}",
        store.gstin and f"GSTIN {store.gstin}",
    ):
        if extra:
            out.append(extra[:width].center(width))
    out.append(title.center(width))
    out.append(_row(number, ctx.local(when).strftime("%d-%m-%Y %H:%M"), width))  # type: ignore[arg-type]
    return out


def sale_slip(ctx: Context, sale: Sale, width: int = 40) -> str:
    money = format_amount
    rule = "-" * width
    out = _header(
        ctx, "TAX INVOICE", sale.number or "(draft)", sale.completed_at or sale.created_at, width
    )
    out.append(_row("Cashier", sale.employee.code, width))
    if sale.customer_id:
        customer = sale.customer
        out.append(_row("Customer", customer.name, width))
        if customer.gstin:
            out.append(_row("GSTIN", customer.gstin, width))
    out.append(rule)
    lines = SaleLine.select().where(SaleLine.sale == sale).order_by(SaleLine.line_no)
    for line in lines:
        out.append(line.name[:width])
        detail = f"  {format_qty(line.qty_milli)} {line.unit} x {money(line.unit_price)}"
        if line.serial:
            detail += f" SN {line.serial}"
        out.append(_row(detail, money(line.gross), width))
        if line.line_discount:
            out.append(_row("  discount", "-" + money(line.line_discount), width))
    out.append(rule)
    out.append(_row("Subtotal", money(sale.subtotal), width))
    if sale.discount_total:
        out.append(_row("Discounts", "-" + money(sale.discount_total), width))
    if sale.coupon_code:
        out.append(_row(f"  coupon {sale.coupon_code}", "-" + money(sale.coupon_discount), width))
    rates: dict[int, list[int]] = {}
    for line in lines:
        row = rates.setdefault(line.tax_rate_bp, [0, 0, 0, 0])
        row[0] += line.taxable
        row[1] += line.cgst
        row[2] += line.sgst
        row[3] += line.igst
    for rate, (taxable, cgst, sgst, igst) in sorted(rates.items()):
        if igst:
            out.append(_row(f"IGST {format_percent(rate)} on {money(taxable)}", money(igst), width))
        elif cgst or sgst:
            half = format_percent(rate // 2)
            out.append(_row(f"CGST {half} on {money(taxable)}", money(cgst), width))
            out.append(_row(f"SGST {half} on {money(taxable)}", money(sgst), width))
    if sale.round_off:
        out.append(_row("Round off", money(sale.round_off), width))
    out.append(_row("TOTAL", money(sale.total), width))
    for receipt in Receipt.select().join(ReceiptAllocation).where(ReceiptAllocation.sale == sale):
        for payment in receipt.payments:
            out.append(_row(f"  {payment.method.name}", money(payment.tendered), width))
        if receipt.change:
            out.append(_row("  Change", money(receipt.change), width))
    if sale.balance:
        out.append(_row("Balance due", money(sale.balance), width))
    out.append(rule)
    out.append("Thank you".center(width))
    return "\n".join(out)


def receipt_slip(ctx: Context, receipt: Receipt, width: int = 40) -> str:
    money = format_amount
    out = _header(ctx, "PAYMENT RECEIPT", receipt.number, receipt.created_at, width)
    out.append("-" * width)
    for allocation in receipt.allocations:
        out.append(_row(f"For {allocation.sale.number}", money(allocation.amount), width))
        if allocation.sale.balance:
            out.append(_row("  still due", money(allocation.sale.balance), width))
    for payment in receipt.payments:
        out.append(_row(payment.method.name, money(payment.tendered), width))
    if receipt.change:
        out.append(_row("Change", money(receipt.change), width))
    return "\n".join(out)


def return_slip(ctx: Context, ret: Return, width: int = 40) -> str:
    money = format_amount
    out = _header(ctx, "CREDIT NOTE / RETURN", ret.number, ret.created_at, width)
    out.append(_row("Against", ret.sale.number, width))
    out.append("-" * width)
    for line in ReturnLine.select().where(ReturnLine.ret == ret):
        out.append(line.sale_line.name[:width])
        out.append(_row(f"  {format_qty(line.qty_milli)} returned", money(line.total), width))
    if ret.round_off:
        out.append(_row("Round off", money(ret.round_off), width))
    out.append(_row(f"REFUND ({ret.refund_method.name})", money(ret.total), width))
    if ret.voucher_id:
        out.append(_row("Credit note", ret.voucher.code, width))
    return "\n".join(out)


def find_slip(ctx: Context, number: str, width: int = 40) -> tuple[str, str]:
    """Any document by its number: a bill, a payment receipt or a return."""
    number = number.strip().upper()
    sale = Sale.get_or_none(Sale.number == number)
    if sale is not None:
        return f"Bill {number}", sale_slip(ctx, sale, width)
    receipt = Receipt.get_or_none(Receipt.number == number)
    if receipt is not None:
        return f"Receipt {number}", receipt_slip(ctx, receipt, width)
    ret = Return.get_or_none(Return.number == number)
    if ret is not None:
        return f"Return {number}", return_slip(ctx, ret, width)
    raise NotFound(f"No bill, receipt or return numbered {number}")
