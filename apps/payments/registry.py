"""What can be paid online. The payments app knows nothing of invoices: each app registers
its payable kinds, and payments calls them back.

    @register_payable("academy.invoice")
    class InvoicePayable(Payable):
        model = Invoice
        def describe(self, obj) -> PayableInfo: ...
        def on_paid(self, obj, payment, amount: int) -> None: ...      # in the webhook's transaction
        def on_refunded(self, obj, payment, amount: int) -> None: ...
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from apps.core.registry import Registry


@dataclass
class PayableInfo:
    amount_due: int  # integer KRW
    title: str
    reference: str
    payer_name: str = ""
    payer_phone: str = ""
    return_path: str = "/"  # where the payer lands after paying, on the tenant's host


class Payable:
    model = None

    def describe(self, obj) -> PayableInfo:
        raise NotImplementedError

    def on_paid(self, obj, payment, amount: int) -> None:
        raise NotImplementedError

    def on_refunded(self, obj, payment, amount: int) -> None:
        raise NotImplementedError

    def get(self, pk):
        return self.model.objects.select_for_update().get(pk=pk)


_payables: Registry[Payable] = Registry("payable")


def register_payable(kind: str):
    def decorator(cls):
        _payables.register(kind, cls())
        cls.kind = kind
        return cls

    return decorator


def payable(kind: str) -> Payable:
    try:
        return _payables[kind]
    except KeyError:
        raise ImproperlyConfigured(f"No payable registered as {kind!r}") from None


def kind_of(obj) -> str:
    for kind, handler in _payables.items():
        if handler.model is not None and isinstance(obj, handler.model):
            return kind
    raise ImproperlyConfigured(f"{type(obj).__name__} is not payable")
