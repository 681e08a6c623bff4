"""Charges customers' cards for their open invoices, through the payment gateway's HTTP API.

Run nightly: every open invoice is charged once; failures are retried with a back-off, then
reported to the billing team.
"""
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP

log = logging.getLogger("payments")

GATEWAY_URL = "https://gateway.example.com/v2"
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 4


class GatewayTimeout(Exception):
    """The gateway did not answer in time: the charge may or may not have gone through."""


class CardDeclined(Exception):
    """The gateway answered and refused the charge."""


@dataclass
class Invoice:
    id: str
    customer_id: str
    card_token: str
    lines: list = field(default_factory=list)  # (description, quantity, unit price as a string)
    status: str = "open"

    def total(self) -> Decimal:
        amount = sum((Decimal(price) * quantity for _, quantity, price in self.lines), Decimal("0"))
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class ChargeResult:
    invoice_id: str
    charge_id: str | None
    status: str
    attempts: int


class Gateway:
    def __init__(self, api_key: str, base_url: str = GATEWAY_URL):
        self._api_key = api_key
        self._base_url = base_url

    def charge(self, card_token: str, amount: Decimal, currency: str = "EUR") -> str:
        body = json.dumps({
            "source": card_token,
            "amount": str(amount),
            "currency": currency,
        }).encode()
        request = urllib.request.Request(
            f"{self._base_url}/charges",
            data=body,
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return json.load(response)["charge_id"]
        except TimeoutError as error:
            raise GatewayTimeout(str(error)) from error
        except urllib.error.HTTPError as error:
            if error.code == 402:
                raise CardDeclined(error.read().decode()) from error
            raise


def charge_invoice(gateway: Gateway, invoice: Invoice) -> ChargeResult:
    amount = invoice.total()
    if amount <= 0:
        return ChargeResult(invoice.id, None, "nothing-to-charge", 0)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            charge_id = gateway.charge(invoice.card_token, amount)
            invoice.status = "paid"
            return ChargeResult(invoice.id, charge_id, "paid", attempt)
        except CardDeclined:
            invoice.status = "declined"
            return ChargeResult(invoice.id, None, "declined", attempt)
        except GatewayTimeout:
            log.warning("invoice %s: gateway timed out (attempt %d), retrying", invoice.id, attempt)
            time.sleep(2 ** attempt)

    invoice.status = "failed"
    return ChargeResult(invoice.id, None, "failed", MAX_ATTEMPTS)


def charge_open_invoices(gateway: Gateway, invoices: list[Invoice]) -> list[ChargeResult]:
    results = []
    for invoice in invoices:
        if invoice.status != "open":
            continue
        results.append(charge_invoice(gateway, invoice))
    return results


def report(results: list[ChargeResult]) -> str:
    lines = ["invoice    status             attempts  charge"]
    for result in results:
        lines.append(f"{result.invoice_id:<10} {result.status:<18} {result.attempts:>8}  {result.charge_id or '-'}")
    paid = sum(1 for result in results if result.status == "paid")
    lines.append(f"{paid} of {len(results)} invoices paid")
    return "\n".join(lines)


if __name__ == "__main__":
    # A stand-in for the gateway, on this machine: it makes every charge it is sent, but its first answer comes
    # too late, as answers do when a network is slow.
    import threading
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    TIMEOUT_SECONDS = 0.5
    charges = []

    class SlowFirstAnswer(BaseHTTPRequestHandler):
        def do_POST(self):
            charge = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            charges.append(charge)
            if len(charges) == 1:
                time.sleep(TIMEOUT_SECONDS * 2)
            body = json.dumps({"charge_id": f"ch_{len(charges)}"}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client stopped waiting; the charge stands all the same

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowFirstAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = Gateway("sk_test_demo", f"http://127.0.0.1:{server.server_address[1]}")
    invoices = [
        Invoice("INV-1001", "C-17", "tok_visa", [("Hosting, March", 1, "49.00"), ("Extra storage", 3, "2.50")]),
        Invoice("INV-1002", "C-23", "tok_mastercard", [("Hosting, March", 1, "49.00")]),
    ]
    print(report(charge_open_invoices(gateway, invoices)))
    per_card = Counter(charge["source"] for charge in charges)
    print(f"the gateway made {len(charges)} charges for {len(invoices)} invoices: "
          + ", ".join(f"{card} charged {count} time(s)" for card, count in sorted(per_card.items())))
    server.shutdown()
