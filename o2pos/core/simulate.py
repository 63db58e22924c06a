"""Drive realistic sales through the same core functions a cashier's keys call.

Used by ``o2pos simulate``, the benchmarks and crash tests: every sale goes through
``sales.new`` → ``add_item`` (by barcode, including scale labels) → discounts → ``checkout``,
so it writes exactly what a real till writes, journal included.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from o2pos.core import register, sales
from o2pos.core.auth import Perm, has_permission
from o2pos.core.barcodes import make_ean13
from o2pos.core.context import Context
from o2pos.core.errors import DomainError, ValidationError
from o2pos.core.models import Coupon, Customer, Employee, Product, tuples
from o2pos.core.payments import Tender


def _tenders(sale_id: int, roll: float, rng: random.Random) -> list[Tender]:
    """How the bill's total is paid: cash most often, then UPI, card, or card and cash."""
    due = sales.get(sale_id).total
    if due == 0:
        return []
    if roll < 0.55:
        return [Tender("cash", _cash_tender(due, rng))]
    if roll < 0.8:
        return [Tender("upi", due, f"UPI{rng.randint(10**9, 10**10 - 1)}")]
    if roll < 0.95:
        return [Tender("card", due, f"AUTH{rng.randint(100000, 999999)}")]
    card = due // 2
    return [Tender("card", card, "AUTH000001"), Tender("cash", _cash_tender(due - card, rng))]


@dataclass(frozen=True)
class SimulationResult:
    sales: int
    total: int
    seconds: float


def _employee_with(permission: str, prefer: str) -> Employee:
    preferred = Employee.get_or_none(Employee.code == prefer, Employee.active == True)
    if preferred is not None and has_permission(preferred, permission):
        return preferred
    for employee in Employee.select().where(Employee.active == True).order_by(Employee.id):
        if has_permission(employee, permission):
            return employee
    raise DomainError(f"No employee may {permission}: load the demo store or add one")


def _cash_tender(total: int, rng: random.Random) -> int:
    """What a customer hands over: exact, or the next round note above the total."""
    if rng.random() < 0.3:
        return total
    for step in (1000, 5000, 10000, 50000, 200000):
        if rng.random() < 0.5:
            return (total // step + 1) * step
    return (total // 200000 + 1) * 200000


def simulate(
    ctx: Context,
    count: int,
    seed: int = 1,
    *,
    progress: Callable[[int], None] | None = None,
    opening_float: int = 200000,
) -> SimulationResult:
    rng = random.Random(seed)
    cashier = _employee_with(Perm.TAKE_PAYMENT, "cashier")
    if register.current_session(ctx) is None:
        opener = _employee_with(Perm.OPEN_REGISTER, "cashier")
        register.open_session(ctx, opener, opening_float)
    plain = list(
        tuples(
            Product.select(Product.barcode, Product.sku).where(
                Product.active == True,
                Product.lot_tracked == False,
                Product.serial_tracked == False,
                Product.weighed == False,
            )
        )
    )
    weighed = [
        plu
        for (plu,) in tuples(
            Product.select(Product.plu).where(
                Product.weighed == True,
                Product.plu.is_null(False),
                Product.active == True,
            )
        )
    ]
    weight_prefix = next(
        (p for p, kind in ctx.settings.scale.prefixes.items() if kind == "weight"), None
    )
    if not plain:
        raise DomainError("The catalog has no products to sell")
    customer_ids = [c for (c,) in tuples(Customer.select(Customer.id))]
    coupon_codes = [
        c for (c,) in tuples(Coupon.select(Coupon.code).where(Coupon.usage_limit.is_null()))
    ]
    started = time.perf_counter()
    total = 0
    for number in range(count):
        sale = sales.new(ctx, cashier)
        if customer_ids and rng.random() < 0.2:
            sales.set_customer(ctx, sale.id, rng.choice(customer_ids), cashier)
        for _ in range(rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 8])):
            if weighed and weight_prefix and rng.random() < 0.1:
                grams = rng.randint(150, 2500)
                body = f"{weight_prefix}{rng.choice(weighed)}{grams:05d}"
                code = make_ean13(body[:12])
            else:
                barcode, sku = rng.choice(plain)
                code = barcode or sku
                if rng.random() < 0.15:
                    code = f"{rng.randint(2, 4)}*{code}"
            lines = sales.add_item(ctx, sale.id, code, cashier)
            if rng.random() < 0.05:
                sales.set_line_discount(ctx, sale.id, lines[0].id, "percent", 500, cashier)
        if coupon_codes and rng.random() < 0.05:
            # below the coupon's minimum or expired: the cashier moves on
            with contextlib.suppress(DomainError):
                sales.apply_coupon(ctx, sale.id, rng.choice(coupon_codes), cashier)
        roll = rng.random()
        try:
            result = sales.checkout(ctx, sale.id, _tenders(sale.id, roll, rng), cashier)
        except ValidationError:
            if sales.get(sale.id).customer_id is None:
                raise
            # a tax invoice this catalog cannot make (a product without its HSN code, as
            # pulled from a central): the cashier sells without the customer, as told
            sales.set_customer(ctx, sale.id, None, cashier)
            result = sales.checkout(ctx, sale.id, _tenders(sale.id, roll, rng), cashier)
        total += result.sale.total
        if progress:
            progress(number + 1)
    return SimulationResult(count, total, time.perf_counter() - started)
