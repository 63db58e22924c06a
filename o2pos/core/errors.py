"""Domain errors: each carries a message a cashier can act on.

The UI shows ``str(error)`` as it is, so messages are written for the person at the till,
never for a developer. Raising one of these inside a transaction rolls the whole operation
back, which is how "bad input changes nothing" is kept.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the business refused the operation; nothing was written."""


class ValidationError(DomainError):
    """The input itself is wrong (a letter in an amount, zero quantity, ...)."""


class NotFound(DomainError):
    """An unknown barcode, SKU, order number, customer, ..."""


class UnknownCode(NotFound):
    """A scan or typed code that is no product's barcode, SKU or scale label."""


class StateError(DomainError):
    """The document is not in a state that allows this (a completed bill edited, ...)."""


class RegisterClosed(StateError):
    """Money cannot move without an open cash register session on this till."""


class PaymentError(DomainError):
    """Tenders do not settle what is due, or a tender is not acceptable."""


class AuthError(DomainError):
    """Wrong user code or PIN."""


class EmployeeLocked(AuthError):
    """Too many wrong PINs: the employee is locked for a while."""


class PermissionDenied(DomainError):
    """The employee's role does not allow this and no manager approved it."""

    def __init__(self, message: str, permission: str) -> None:
        super().__init__(message)
        self.permission = permission


class ApprovalRequired(PermissionDenied):
    """Allowed with a manager's PIN: the UI answers this with the override dialog."""
