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


class StorageError(Exception):
    """The till's own files cannot be used: damaged, full, or in a place it cannot write.

    Not a ``DomainError``: no rule refused anything, and retrying will not help until a
    person deals with the file, which the message names. Nothing was written. The command
    line exits with ``exit_code``; the till shows the message and keeps running.
    """

    exit_code = 3

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class DatabaseDamaged(StorageError):
    """Not an SQLite file, cut short, or with pages SQLite cannot read."""


class StorageUnavailable(StorageError):
    """The data directory is a file, or cannot be created or written."""


class DiskFull(StorageError):
    """SQLITE_FULL or ENOSPC: the operation was rolled back whole."""

    exit_code = 4
