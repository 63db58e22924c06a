"""Returns against a completed sale: restock, refund by a method or as a credit note.

Cash refunds are rounded to the rupee like bills; the return that completes the sale's
return settles the rest of the round-off.

What a returned quantity is worth is taken from the sale line's own figures, proportionally
and cumulatively, for each of taxable value, CGST, SGST and IGST: the part of figure F for a
return of ``qty`` when ``returned`` already came back is
``round(F × (returned + qty) / sold) − round(F × returned / sold)``. Parts may differ by a
paisa between returns, but returning a line in any number of parts refunds exactly what was
paid for it, never a paisa more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from peewee import fn

from o2pos.core import journal, loyalty, numbering, payments, stock
from o2pos.core.auth import Approval, Perm, require
from o2pos.core.context import Context
from o2pos.core.errors import (
    ApprovalRequired,
    NotFound,
    PaymentError,
    StateError,
    ValidationError,
)
from o2pos.core.ids import new_id
from o2pos.core.models import (
    Customer,
    Employee,
    Lot,
    PaymentMethod,
    Product,
    RemoteReturn,
    RemoteReturnLine,
    Return,
    ReturnLine,
    Sale,
    SaleLine,
    SerialNumber,
    Voucher,
)
from o2pos.core.money import MILLI, MINOR_PER_UNIT, div_round, format_amount, format_qty
from o2pos.core.payments import MethodView, tender_methods
from o2pos.core.privacy import CARD_NUMBER_MESSAGE, contains_card_number
from o2pos.core.register import expected_cash, require_open
from o2pos.core.vouchers import NOT_RETURNED, VOUCHER_SKU, is_voucher

REFUND_KINDS = ("cash", "card", "upi", "credit_note", "on_account")


@dataclass(frozen=True)
class ReturnItem:
    line_id: int
    qty_milli: int
    restock: bool = True


def undelivered(sale: Sale, line: SaleLine, qty_milli: int) -> int:
    """Of ``qty_milli`` of a line coming back, what was never delivered: a bill marked for
    delivery gives back what is still pending first (the customer cancels goods that never
    left, their reservation is released), then delivered goods (docs/stock.md). Counts
    this till's own deliveries; nothing for a bill taken away at the counter."""
    if not sale.delivery:
        return 0
    pending = max(line.qty_milli - line.delivered_milli - line.returned_milli, 0)
    return min(qty_milli, pending)


def _share(value: int, done: int, qty: int, sold: int) -> int:
    return div_round(value * (done + qty), sold) - div_round(value * done, sold)


def _round_off(ctx: Context, sale: Sale, figures: list, refund_kind: str, value: int) -> int:
    """The return's own round-off line.

    A cash refund is rounded to the rupee when bills are (the drawer holds no paise); the
    return that brings back the last of the sale settles whatever round-off is left, so a
    sale returned in any number of parts refunds exactly what was paid.
    """
    returning = {line.id: item.qty_milli for line, item, _ in figures}
    completes = all(
        ln.returned_milli + returning.get(ln.id, 0) == ln.qty_milli for ln, _ in returnable(sale)
    )
    if completes:
        given = (
            Return.select(fn.COALESCE(fn.SUM(Return.round_off), 0))
            .where(Return.sale == sale)
            .scalar()
        )
        return sale.round_off - given
    if refund_kind == "cash" and ctx.settings.store.round_off:
        return div_round(value, MINOR_PER_UNIT) * MINOR_PER_UNIT - value
    return 0


def returnable(sale: Sale) -> list[tuple[SaleLine, int]]:
    """Each line of the sale with the quantity that can still come back.

    A gift voucher the sale sold is not among them: it is not returned, its balance stays
    usable (taking it back for cash would turn a gift into cash, and the voucher may
    already be part spent at another till).
    """
    lines = (
        SaleLine.select()
        .where(SaleLine.sale == sale, SaleLine.sku != VOUCHER_SKU)
        .order_by(SaleLine.line_no)
    )
    return [(ln, ln.qty_milli - ln.returned_milli) for ln in lines]


class ReturnLineView(NamedTuple):
    """A sold line as the returns screen lists it."""

    id: int
    line_no: int
    name: str
    sold_milli: int
    left_milli: int  # what can still come back
    total: int  # what was paid for the whole line


@dataclass(frozen=True)
class RemoteSaleLine:
    """A sold line as the central holds it, with what came back of it at any till."""

    line_no: int
    sku: str
    name: str
    unit: str
    qty_milli: int
    returned_milli: int  # came back at any till, as the central has projected
    held_milli: int  # held by live return claims (of any till)
    tax_rate_bp: int
    taxable: int
    cgst: int
    sgst: int
    igst: int
    total: int
    lot_no: str | None = None
    serial: str | None = None
    # of a bill marked for delivery: what every till has still to deliver, as the central
    # counted; a return takes it back first (docs/stock.md, "Delivery")
    pending_milli: int = 0

    @property
    def left_milli(self) -> int:
        return max(self.qty_milli - self.returned_milli - self.held_milli, 0)


@dataclass(frozen=True)
class RemoteSale:
    """A completed sale of this store as the central holds it (``sync.returns`` builds it)."""

    uuid: str
    number: str
    terminal: str
    customer_uuid: str | None
    total: int
    paid: int
    round_off: int
    returned_round_off: int  # round-off already given back by returns at any till
    refunded: int  # refunded by returns at any till, other than on account
    lines: tuple[RemoteSaleLine, ...]
    delivery: str | None = None  # home | pickup: marked for delivery, its goods reserved
    location: str | None = None  # where its goods were sold (and are reserved)
    points_earned: int = 0  # loyalty points the bill earned (core.loyalty)
    returned_total: int = 0  # refunded by returns at any till, on account too


@dataclass(frozen=True)
class ReturnableSale:
    number: str
    lines: list[ReturnLineView]
    # the central's view of the sale: a sale of another till (``local`` False) is returned
    # from it alone; for this till's own sale it narrows what can come back to what other
    # tills have not taken back already
    central: RemoteSale | None = None
    local: bool = True


def remote_returnable(sale: RemoteSale) -> ReturnableSale:
    """Another till's sale as the returns screen lists it: a line's id is its line number."""
    lines = [
        ReturnLineView(ln.line_no, ln.line_no, ln.name, ln.qty_milli, ln.left_milli, ln.total)
        for ln in sale.lines
    ]
    return ReturnableSale(sale.number, lines, sale, local=False)


def with_central(own: ReturnableSale, central: RemoteSale) -> ReturnableSale:
    """This till's own sale, each line's quantity left narrowed to what the central says
    is left after returns (and live claims) at every till."""
    left = {ln.line_no: ln.qty_milli - ln.returned_milli - ln.held_milli for ln in central.lines}
    lines = [
        line._replace(left_milli=max(min(line.left_milli, left.get(line.line_no, 0)), 0))
        for line in own.lines
    ]
    return ReturnableSale(own.number, lines, central, local=True)


def returnable_sale(number: str) -> ReturnableSale:
    """The completed sale numbered ``number`` with what each of its lines can still return."""
    sale = Sale.get_or_none(Sale.number == number.strip().upper())
    if sale is None:
        raise NotFound(f"No sale numbered {number.strip()}")
    if sale.status != "completed":
        raise StateError(f"{sale.number} is not a completed sale")
    lines = [
        ReturnLineView(ln.id, ln.line_no, ln.name, ln.qty_milli, left, ln.total)
        for ln, left in returnable(sale)
    ]
    return ReturnableSale(sale.number or "", lines)


def refund_methods(ctx: Context) -> list[MethodView]:
    """The ways a return can be refunded, in the store's order of payment methods."""
    return [m for m in tender_methods(ctx) if m.kind in REFUND_KINDS]


def _check_item(line: SaleLine, qty_milli: int) -> None:
    """Can ``qty_milli`` of this sold line come back? A ``ValidationError`` says why not."""
    if is_voucher(line.sku):
        raise ValidationError(NOT_RETURNED)
    if qty_milli <= 0:
        raise ValidationError("A returned quantity must be more than zero")
    if line.serial and qty_milli != line.qty_milli:
        raise ValidationError("A serial-numbered item comes back whole")
    if not line.product.weighed and qty_milli % MILLI:
        raise ValidationError(
            f"{line.name} comes back in whole {line.unit}, not {format_qty(qty_milli)}"
        )
    left = line.qty_milli - line.returned_milli
    if qty_milli > left:
        raise ValidationError(
            f"{line.name}: only {format_qty(left)} of {format_qty(line.qty_milli)} sold "
            "can still be returned"
        )


def check_quantity(line_id: int, qty_milli: int) -> None:
    """Check a quantity to return of one line of a completed sale, as soon as it is typed.

    Raises what ``create`` would raise for it (``ValidationError``: zero, part of a piece,
    part of a serial-numbered item, more than is left to return; ``NotFound``; a sale not
    completed, ``StateError``), so a screen can refuse it before anyone asks a manager
    for a PIN. Reads only.
    """
    line = SaleLine.get_or_none(SaleLine.id == line_id)
    if line is None:
        raise NotFound("That line is not on this sale")
    sale = Sale.get_by_id(line.sale_id)
    if sale.status != "completed":
        raise StateError(f"{sale.number or 'This bill'} is not a completed sale")
    _check_item(line, qty_milli)


def check_returnable(sale: ReturnableSale, line_id: int, qty_milli: int) -> None:
    """Check a quantity typed on the returns screen against the sale it lists: this till's
    own sale as ``check_quantity`` does, then against what the central says other tills
    left of it; another till's sale against the central's copy (``line_id`` = line number)."""
    if not sale.local and sale.central is not None:
        check_remote_quantity(sale.central, line_id, qty_milli)
        return
    check_quantity(line_id, qty_milli)
    line = next((ln for ln in sale.lines if ln.id == line_id), None)
    if line is not None and qty_milli > line.left_milli:
        raise ValidationError(
            f"{line.name}: only {format_qty(line.left_milli)} of {format_qty(line.sold_milli)} "
            "sold can still be returned (some came back at another till)"
        )


def _remote_line(sale: RemoteSale, line_no: int) -> RemoteSaleLine:
    line = next((ln for ln in sale.lines if ln.line_no == line_no), None)
    if line is None:
        raise NotFound("That line is not on this sale")
    return line


def check_remote_quantity(sale: RemoteSale, line_no: int, qty_milli: int) -> None:
    """``check_quantity`` for a line of another till's sale, with what the central said is
    left of it. A piece comes back whole unless this till knows the product as weighed."""
    line = _remote_line(sale, line_no)
    if is_voucher(line.sku):
        raise ValidationError(NOT_RETURNED)
    if qty_milli <= 0:
        raise ValidationError("A returned quantity must be more than zero")
    if line.serial and qty_milli != line.qty_milli:
        raise ValidationError("A serial-numbered item comes back whole")
    product = Product.get_or_none(Product.sku == line.sku)
    weighed = product.weighed if product is not None else bool(line.qty_milli % MILLI)
    if not weighed and qty_milli % MILLI:
        raise ValidationError(
            f"{line.name} comes back in whole {line.unit}, not {format_qty(qty_milli)}"
        )
    if qty_milli > line.left_milli:
        raise ValidationError(
            f"{line.name}: only {format_qty(line.left_milli)} of {format_qty(line.qty_milli)} "
            "sold can still be returned"
        )


def _restock_remote(ctx: Context, line: RemoteSaleLine, product: Product, qty: int) -> None:
    if line.lot_no:
        Lot.update(qty_milli=Lot.qty_milli + qty).where(
            Lot.product == product.id, Lot.lot_no == line.lot_no
        ).execute()
    if line.serial:
        SerialNumber.update(status="available").where(
            SerialNumber.product == product.id, SerialNumber.serial == line.serial
        ).execute()


Parts = dict[str, int]  # a line's taxable, cgst, sgst and igst coming back


def _parts(line: SaleLine | RemoteSaleLine, returned: int, qty: int) -> Parts:
    """Each part of a line in proportion, cumulatively over what came back before."""
    return {
        key: _share(getattr(line, key), returned, qty, line.qty_milli)
        for key in ("taxable", "cgst", "sgst", "igst")
    }


def _sums(figures: list[Any]) -> tuple[int, int]:
    taxable = sum(p["taxable"] for _, _, p in figures)
    return taxable, sum(p["cgst"] + p["sgst"] + p["igst"] for _, _, p in figures)


def _local_figures(
    ctx: Context, sale: Sale, items: list[ReturnItem], method_kind: str
) -> tuple[list[tuple[SaleLine, ReturnItem, Parts]], int, int, int]:
    """What ``items`` of this till's ``sale`` refund by a method of ``method_kind``: each
    line's parts, the taxable value, the tax and the round-off (``create``, ``quote``)."""
    figures: list[tuple[SaleLine, ReturnItem, Parts]] = []
    seen: set[int] = set()
    for item in items:
        line = SaleLine.get_or_none(SaleLine.id == item.line_id, SaleLine.sale == sale)
        if line is None:
            raise NotFound("That line is not on this sale")
        if item.line_id in seen:
            raise ValidationError(f"Line {line.line_no} is listed twice")
        seen.add(item.line_id)
        _check_item(line, item.qty_milli)
        figures.append((line, item, _parts(line, line.returned_milli, item.qty_milli)))
    taxable, tax = _sums(figures)
    return figures, taxable, tax, _round_off(ctx, sale, figures, method_kind, taxable + tax)


def _remote_figures(
    ctx: Context, sale: RemoteSale, items: list[ReturnItem], method_kind: str
) -> tuple[list[tuple[RemoteSaleLine, ReturnItem, Parts]], int, int, int]:
    """``_local_figures`` for another till's sale, from the central's copy of it (an
    item's ``line_id`` is its line number)."""
    figures: list[tuple[RemoteSaleLine, ReturnItem, Parts]] = []
    for item in items:
        line = _remote_line(sale, item.line_id)
        if item.line_id in [f[0].line_no for f in figures]:
            raise ValidationError(f"Line {line.line_no} is listed twice")
        check_remote_quantity(sale, item.line_id, item.qty_milli)
        figures.append((line, item, _parts(line, line.returned_milli, item.qty_milli)))
    taxable, tax = _sums(figures)
    returning = {line.line_no: item.qty_milli for line, item, _ in figures}
    completes = all(
        ln.returned_milli + returning.get(ln.line_no, 0) == ln.qty_milli for ln in sale.lines
    )
    value = taxable + tax
    if completes:
        round_off = sale.round_off - sale.returned_round_off
    elif method_kind == "cash" and ctx.settings.store.round_off:
        round_off = div_round(value, MINOR_PER_UNIT) * MINOR_PER_UNIT - value
    else:
        round_off = 0
    return figures, taxable, tax, round_off


def _require_refund(
    actor: Employee, approval: Approval | None, method: PaymentMethod, total: int
) -> str | None:
    """``require`` for the refund, the manager told what they are approving: how much,
    and how it is paid out."""
    try:
        return require(actor, Perm.REFUND, approval)
    except ApprovalRequired as need:
        raise ApprovalRequired(
            f"{need} (a refund of {format_amount(total)} by {method.name})", need.permission
        ) from None


def quote(ctx: Context, sale: ReturnableSale, chosen: dict[int, int], method: str) -> int:
    """What the return of ``chosen`` (line id -> quantity, as the returns screen keys its
    lines) of ``sale`` would refund by ``method``, figured as the return itself will be:
    shown to the cashier and the approving manager before it is made. Raises what the
    return would raise for a quantity that cannot come back."""
    found = PaymentMethod.get_or_none(PaymentMethod.code == method)
    kind = found.kind if found is not None else "cash"
    items = [ReturnItem(line_id, qty) for line_id, qty in chosen.items()]
    if sale.local:
        own = Sale.get_or_none(Sale.number == sale.number)
        if own is None:
            raise NotFound(f"No sale numbered {sale.number}")
        _, taxable, tax, round_off = _local_figures(ctx, own, items, kind)
    else:
        assert sale.central is not None  # another till's sale is known from the central
        _, taxable, tax, round_off = _remote_figures(ctx, sale.central, items, kind)
    return taxable + tax + round_off


def create_remote(
    ctx: Context,
    actor: Employee,
    sale: RemoteSale,
    items: list[ReturnItem],
    refund_method: str,
    *,
    claim_id: str,
    approval: Approval | None = None,
    reason: str = "",
) -> RemoteReturn:
    """Take goods back against a sale made at another till, under the central's claim.

    As ``create``, figured from the central's copy of the sale (``item.line_id`` is the
    line number): each part in proportion to the line, cumulatively over what came back at
    any till; a cash refund rounded to the rupee; the return that brings back the last of
    the sale gives back the round-off left. The claim is what makes the quantities this
    till's to take back, so one claim records one return. It cannot be refunded on
    account: the customer's balance on that sale is the other till's.
    """
    if contains_card_number(reason):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    if not items:
        raise ValidationError("Choose what comes back")
    with ctx.write():
        session = require_open(ctx)
        method = PaymentMethod.get_or_none(PaymentMethod.code == refund_method)
        if method is None or method.kind not in REFUND_KINDS:
            raise PaymentError(f"Cannot refund by {refund_method!r}")
        if method.kind == "on_account":
            raise PaymentError(
                f"{sale.number} was made at till {sale.terminal}: refund it another way"
            )
        if RemoteReturn.get_or_none(RemoteReturn.claim_id == claim_id) is not None:
            raise StateError(f"These items of {sale.number} were already returned here")
        figures, taxable, tax, round_off = _remote_figures(ctx, sale, items, method.kind)
        total = taxable + tax + round_off
        if method.kind == "cash" and total > expected_cash(session):
            raise PaymentError("Not enough cash in the drawer for this refund: refund another way")
        if total > sale.paid - sale.refunded:
            raise PaymentError(f"{sale.number} is not paid enough to refund this here")
        approved_by = _require_refund(actor, approval, method, total)
        number = numbering.allocate(ctx, "return")
        customer = (
            Customer.get_or_none(Customer.uuid == sale.customer_uuid)
            if sale.customer_uuid
            else None
        )
        voucher = None
        if method.kind == "credit_note":  # this till's credit note, as for its own sales
            voucher = Voucher.create(
                kind="credit_note",
                code=numbering.allocate(ctx, "credit_note"),
                amount=total,
                balance=total,
                customer=customer,
                created_at=ctx.now(),
            )
        ret = RemoteReturn.create(
            uuid=new_id(),
            number=number,
            terminal_id=ctx.terminal_id,
            sale_uuid=sale.uuid,
            sale_number=sale.number,
            sale_terminal=sale.terminal,
            claim_id=claim_id,
            session=session,
            employee=actor,
            approved_by=approved_by,
            created_at=ctx.now(),
            refund_method=method,
            reason=reason.strip()[:200],
            taxable=taxable,
            tax=tax,
            round_off=round_off,
            total=total,
            voucher=voucher,
        )
        payload_lines = []
        moves: list[stock.Move] = []
        for line, item, parts in figures:
            line_total = sum(parts.values())
            product = Product.get_or_none(Product.sku == line.sku)
            RemoteReturnLine.create(
                ret=ret,
                line_no=line.line_no,
                sku=line.sku,
                name=line.name,
                product=product,
                tax_rate_bp=line.tax_rate_bp,
                qty_milli=item.qty_milli,
                total=line_total,
                restock=item.restock and product is not None,
                **parts,
            )
            before = min(item.qty_milli, line.pending_milli) if sale.delivery else 0
            if product is not None and before:  # never left: released where it was held
                moves.append(stock.Move(product.id, reserved=-before, location=sale.location))
            if product is not None and (item.restock or before):
                back = before + (item.qty_milli - before if item.restock else 0)
                _restock_remote(ctx, line, product, back)
            if item.restock and product is not None and item.qty_milli > before:
                moves.append(stock.Move(product.id, on_hand=item.qty_milli - before))
            payload_lines.append(
                {
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "name": line.name,
                    "qty_milli": item.qty_milli,
                    "tax_rate_bp": line.tax_rate_bp,
                    "lot_no": line.lot_no,
                    "serial": line.serial,
                    "restock": item.restock and product is not None,
                    "undelivered_milli": before,
                    "total": line_total,
                    **parts,
                }
            )
        points = _remote_points_back(sale, total)
        event = journal.append(
            ctx,
            "return.completed",
            {
                **({"points": points} if points else {}),
                "uuid": ret.uuid,
                "number": number,
                "sale": sale.number,
                "sale_uuid": sale.uuid,
                "sale_terminal": sale.terminal,
                "claim_id": claim_id,
                "session_id": session.id,
                "location": ctx.location,
                "sale_location": sale.location,
                "refund_method": method.code,
                "refund_kind": method.kind,
                "credit_note": voucher.code if voucher else None,
                "reason": ret.reason,
                "lines": payload_lines,
                "taxable": taxable,
                "tax": tax,
                "round_off": round_off,
                "total": total,
            },
            employee=actor.code,
            approved_by=approved_by,
        )
        stock.record(ctx, "return", number, event.seq, moves)
        if points:
            loyalty.record(points["customer"], event.seq, -points["reversed"])
    return ret


def _remote_points_back(sale: RemoteSale, total: int) -> dict[str, Any] | None:
    """The points a return of another till's bill takes back: as ``_points_back``, from the
    central's copy of the bill (what it earned, what returns at any till refunded)."""
    if not sale.points_earned or sale.customer_uuid is None:
        return None
    taken = loyalty.reversed_points(sale.points_earned, sale.total, sale.returned_total, total)
    return {
        "customer": sale.customer_uuid,
        "reversed": taken,
        "given_back": 0,
        "balance": max(0, loyalty.balance(sale.customer_uuid) - taken),
    }


def create(
    ctx: Context,
    actor: Employee,
    sale_number: str,
    items: list[ReturnItem],
    refund_method: str,
    *,
    approval: Approval | None = None,
    reason: str = "",
    claim_id: str | None = None,
) -> Return:
    """Take goods back against a completed sale and refund them.

    ``claim_id`` is the central's claim on these quantities when the till could ask for
    one (so a return at another counter cannot take them too); None offline.

    Everything that can be refused is checked before a manager's approval is used up: a
    wrong quantity must not cost the manager's PIN (``approval`` is spent only by a return
    that then goes through).
    """
    if contains_card_number(reason):
        raise ValidationError(CARD_NUMBER_MESSAGE)
    if not items:
        raise ValidationError("Choose what comes back")
    with ctx.write():
        session = require_open(ctx)
        sale = Sale.get_or_none(Sale.number == sale_number.strip().upper())
        if sale is None:
            raise NotFound(f"No sale numbered {sale_number.strip()}")
        if sale.status != "completed":
            raise StateError(f"{sale.number} is not a completed sale")
        method = PaymentMethod.get_or_none(PaymentMethod.code == refund_method)
        if method is None or method.kind not in REFUND_KINDS:
            raise PaymentError(f"Cannot refund by {refund_method!r}")
        figures, taxable, tax, round_off = _local_figures(ctx, sale, items, method.kind)
        total = taxable + tax + round_off
        voucher = None
        if method.kind == "cash" and total > expected_cash(session):
            raise PaymentError("Not enough cash in the drawer for this refund: refund another way")
        if method.kind != "on_account":
            refunded = (
                Return.select(fn.COALESCE(fn.SUM(Return.total), 0))
                .join(PaymentMethod)
                .where(Return.sale == sale, PaymentMethod.kind != "on_account")
                .scalar()
            )
            # a payment another till took for this sale is money the store has too
            if total > sale.paid + payments.paid_elsewhere(sale) - refunded:
                raise PaymentError(
                    f"{sale.number} still has {format_amount(payments.owed(sale))} unpaid: "
                    "refund it on account"
                )
        elif payments.owed(sale) < total:
            raise PaymentError("On account refunds only what the customer still owes on this sale")
        # the return can go through: only now is a manager's approval used, if one is needed
        approved_by = _require_refund(actor, approval, method, total)
        if method.kind == "on_account":
            Sale.update(balance=Sale.balance - total).where(Sale.id == sale.id).execute()
        number = numbering.allocate(ctx, "return")
        if method.kind == "credit_note":
            voucher = Voucher.create(
                kind="credit_note",
                code=numbering.allocate(ctx, "credit_note"),
                amount=total,
                balance=total,
                customer=sale.customer,
                created_at=ctx.now(),
                issued_by=ctx.terminal_id,
            )
        ret = Return.create(
            uuid=new_id(),
            number=number,
            terminal_id=ctx.terminal_id,
            sale=sale,
            session=session,
            employee=actor,
            approved_by=approved_by,
            created_at=ctx.now(),
            refund_method=method,
            reason=reason.strip()[:200],
            taxable=taxable,
            tax=tax,
            round_off=round_off,
            total=total,
            voucher=voucher,
        )
        payload_lines = []
        moves: list[stock.Move] = []
        reserved_at = sale.location or ctx.settings.terminal.location
        for line, item, parts in figures:
            line_total = sum(parts.values())
            ReturnLine.create(
                ret=ret,
                sale_line=line,
                qty_milli=item.qty_milli,
                total=line_total,
                restock=item.restock,
                **parts,
            )
            before = undelivered(sale, line, item.qty_milli)
            SaleLine.update(returned_milli=SaleLine.returned_milli + item.qty_milli).where(
                SaleLine.id == line.id
            ).execute()
            if before:  # never left the store: its reservation is released where it is held
                moves.append(stock.Move(line.product_id, reserved=-before, location=reserved_at))
            if item.restock and item.qty_milli > before:
                moves.append(stock.Move(line.product_id, on_hand=item.qty_milli - before))
            if item.restock or before:
                back = before + (item.qty_milli - before if item.restock else 0)
                if line.lot_id is not None:
                    Lot.update(qty_milli=Lot.qty_milli + back).where(
                        Lot.id == line.lot_id
                    ).execute()
                if line.serial:
                    SerialNumber.update(status="available").where(
                        SerialNumber.product == line.product_id, SerialNumber.serial == line.serial
                    ).execute()
            payload_lines.append(
                {
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "name": line.name,
                    "qty_milli": item.qty_milli,
                    "tax_rate_bp": line.tax_rate_bp,
                    "lot_no": line.lot_no,
                    "serial": line.serial,
                    "restock": item.restock,
                    "undelivered_milli": before,
                    "total": line_total,
                    **parts,
                }
            )
        points = _points_back(sale, ret)
        event = journal.append(
            ctx,
            "return.completed",
            {
                **({"points": points} if points else {}),
                "uuid": ret.uuid,
                "number": number,
                "sale": sale.number,
                "sale_uuid": sale.uuid,
                "sale_terminal": sale.terminal_id,
                "claim_id": claim_id,
                "session_id": session.id,
                "location": ctx.location,
                "sale_location": reserved_at,
                "refund_method": method.code,
                "refund_kind": method.kind,
                "credit_note": voucher.code if voucher else None,
                "reason": ret.reason,
                "lines": payload_lines,
                "taxable": taxable,
                "tax": tax,
                "round_off": round_off,
                "total": total,
            },
            employee=actor.code,
            approved_by=approved_by,
        )
        stock.record(ctx, "return", number, event.seq, moves)
        if points:
            loyalty.record(points["customer"], event.seq, -points["reversed"])
    return ret


def _points_back(sale: Sale, ret: Return) -> dict[str, Any] | None:
    """The points a return takes back: the share of what the bill earned that this return
    refunds, counting earlier returns of the bill (``loyalty.reversed_points``)."""
    event = journal.document_event("$.number", str(sale.number))
    earned = json.loads(event.payload).get("points") if event is not None else None
    if not earned or not earned["earned"]:
        return None
    before = (
        Return.select(fn.COALESCE(fn.SUM(Return.total), 0))
        .where(Return.sale == sale, Return.id != ret.id)
        .scalar()
    )
    taken = loyalty.reversed_points(earned["earned"], sale.total, int(before or 0), ret.total)
    customer = earned["customer"]
    return {
        "customer": customer,
        "reversed": taken,
        "given_back": 0,
        "balance": max(0, loyalty.balance(customer) - taken),
    }
