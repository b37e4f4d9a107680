"""A local fake of the Azure Retail Prices API: real HTTP on 127.0.0.1, in a thread.

    GET /api/retail/prices?api-version=...&currencyCode='USD'&$filter=...[&$skip=N]

Where the shapes come from:

- The envelope (``BillingCurrency``, ``CustomerEntityId``, ``CustomerEntityType``,
  ``Items``, ``NextPageLink``, ``Count``) and the item fields: Microsoft Learn, "Azure Retail
  Prices overview" (rest/api/cost-management/retail-prices/azure-retail-prices), as
  summarised in /work/shared/research/azure-formats.md section 8.1. ``NextPageLink`` is an
  absolute URL back to the API carrying ``$skip``; it is null on the last page.
- ``$filter``: ``field eq 'value'`` and ``contains(field, 'value')`` joined by ``and``,
  values case-sensitive (api-version 2023-01-01-preview); ``priceType`` filters the items'
  ``type``. Other filter syntax answers 400 (the real error body is not documented here).
- Meter names, units and prices: spellings seen in Retail Prices answers as quoted by
  third parties (infracost's Azure OpenAI mapping; published price cards for ``GPT 5 Mini
  ... Glbl`` and ``5.4 mini ... Gl`` under product ``Azure OpenAI GPT5``). Prices and dates
  here are illustrative, chosen so tests can work them out by hand, not Azure's.

Switches: ``throttle_first`` answers the first request 429 with ``Retry-After: 1``;
``malformed`` answers every page with a truncated JSON body.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlencode, urlsplit

PATH: Final = "/api/retail/prices"
PAGE_SIZE: Final = 4  # the real API answers 1000 items a page
_CLAUSE: Final = re.compile(r"^(?:(\w+) eq '([^']*)'|contains\((\w+),\s*'([^']*)'\))$")


def item(
    meter: str,
    price: float,
    unit: str = "1K",
    *,
    start: str = "2024-11-20",
    region: str = "eastus2",
    location: str = "US East 2",
    product: str = "Azure OpenAI",
    service: str = "Foundry Models",
    primary: bool = True,
    price_type: str = "Consumption",
    **extra: Any,
) -> dict[str, Any]:
    """One item with every field of the documented shape."""
    sku = meter.removesuffix(" Tokens")
    digest = hashlib.sha256(f"{meter}|{region}|{price_type}".encode()).hexdigest()
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": location,
        "effectiveStartDate": f"{start}T00:00:00Z",
        "meterId": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        "meterName": meter,
        "productId": "DZH318Z0BQ4P",
        "skuId": "DZH318Z0BQ4P/" + digest[32:36].upper(),
        "productName": product,
        "skuName": sku,
        "serviceName": service,
        "serviceId": "DZH312XKJ2CN",
        "serviceFamily": "AI + Machine Learning",
        "unitOfMeasure": unit,
        "type": price_type,
        "isPrimaryMeterRegion": primary,
        "armSkuName": "",
        **extra,
    }


GPT5: Final = "Azure OpenAI GPT5"
REASONING: Final = "Azure OpenAI Reasoning"
CATALOGUE: Final = [
    # gpt-4o Global Standard: the shipped prices, a later start date -> no change
    item("gpt 4o 1120 Inp glbl Tokens", 0.0025),
    item("gpt 4o 1120 cached Inp glbl Tokens", 0.00125),
    item("gpt 4o 1120 Outp glbl Tokens", 0.01),
    # the same global meter listed for another region, not its primary one: ignored
    item("gpt 4o 1120 Inp glbl Tokens", 0.0026, region="westeurope", location="EU West",
         primary=False),
    # gpt-4o Data Zone: a new row
    item("gpt 4o 1120 Inp Data Zone Tokens", 0.00275),
    item("gpt 4o 1120 cached Inp Data Zone Tokens", 0.001375),
    item("gpt 4o 1120 Out Data Zone Tokens", 0.011),
    # gpt-4.1-nano: a changed price, same start date as the shipped row
    item("GPT 4.1 nano Global Input Tokens", 0.08, "1M", start="2025-01-01"),
    item("GPT 4.1 nano cchd Inp Global Tokens", 0.02, "1M", start="2025-01-01"),
    item("GPT 4.1 nano Global Output Tokens", 0.32, "1M", start="2025-01-01"),
    # gpt-5-mini: the shipped prices in 1M units -> no change
    item("GPT 5 Mini Inpt Glbl Tokens", 0.25, "1M Tokens", start="2025-08-01", product=GPT5),
    item("GPT 5 Mini cchd Inpt Glbl Tokens", 0.025, "1M Tokens", start="2025-08-01",
         product=GPT5),
    item("GPT 5 Mini outpt Glbl Tokens", 2.0, "1M Tokens", start="2025-08-01", product=GPT5),
    # gpt-5.4-mini, named by its version only: a new model
    item("5.4 mini Inp Gl Tokens", 0.75, "1M", start="2026-03-01", product=GPT5),
    item("5.4 mini cd Inp Gl Tokens", 0.075, "1M", start="2026-03-01", product=GPT5),
    item("5.4 mini Opt Gl Tokens", 4.5, "1M", start="2026-03-01", product=GPT5),
    # o3 Data Zone: a new row
    item("o3 Inpt DZone Tokens", 0.0022, start="2025-06-10"),
    item("o3 cchd Inpt DZone Tokens", 0.00055, start="2025-06-10"),
    item("o3 Outpt DZone Tokens", 0.0088, start="2025-06-10"),
    # gpt-4o-mini Global Batch: a new row, no cached meter
    item("gpt-4o-mini-0718-Batch-Inp-glbl Tokens", 0.000075, "1K Tokens", start="2024-07-18"),
    item("gpt-4o-mini-0718-Batch-Outp-glbl Tokens", 0.0003, "1K Tokens", start="2024-07-18"),
    # a regional (Standard) embedding meter: a new row for its region
    item("text-embedding-3-large-regional Tokens", 0.000143, start="2025-09-01",
         region="swedencentral", location="SE Central"),
    # meters the price book does not hold
    item("gpt-4o-rt-txt-1217 Inp glbl Tokens", 0.005, start="2024-12-17"),
    item("gpt-4o-aud-1217 Outp glbl Tokens", 0.08, start="2024-12-17"),
    item("GPT 5 Mini pp Inpt Glbl Tokens", 0.45, "1M", start="2025-08-01", product=GPT5),
    item("4.3 Inp Glbl Tokens", 1.0, "1M", start="2026-05-01", product=GPT5),
    # provisioned throughput: hourly, and a monthly reservation; neither is a token price
    item("Provisioned Managed Global Unit", 1.0, "1 Hour", start="2024-08-01"),
    item("Provisioned Managed Global", 260.0, "1/Month", start="2024-08-01",
         price_type="Reservation", reservationTerm="1 Month"),
    # another vendor under Foundry Models: outside the OpenAI filter
    item("V3.1 Inp DZone Tokens", 0.00124, product="Azure Deepseek Models"),
    # the older service name still lists regional meters
    item("gpt-35-turbo-16k-Input-regional Tokens", 0.003, start="2023-06-13", region="eastus",
         location="US East", service="Cognitive Services"),
    item("gpt-35-turbo-16k-Output-regional Tokens", 0.004, start="2023-06-13", region="eastus",
         location="US East", service="Cognitive Services"),
    item("Translator Text S1", 10.0, "1M", service="Cognitive Services",
         product="Translator Text"),
]  # fmt: skip


# The irregular meter names of /work/shared/research/azure-pricing-2026.md section 3 (seen in
# Retail Prices answers and Cost Management product strings, 2026), each with its input or
# output sibling so a row has an input price, plus the billing-mode spellings of its token
# vocabulary (Flex, PP, Std, ShortCo/LongCo, Cd Wr) and provisioned throughput by hour,
# month and year. Prices are illustrative, in the unit each item states.
RESEARCH_CATALOGUE: Final = [
    item("GPT 5.2 chat inp Gl 1M Tokens", 1.75, "1M", product=GPT5),
    item("5.2 chat 0210 cd inp Gl 1M Tokens", 0.175, "1M", product=GPT5),
    item("GPT 5 Chat cchd Inpt Glbl 1M Tokens", 0.125, "1M", product=GPT5),
    item("GPT 5 Chat Inpt Glbl 1M Tokens", 1.25, "1M", product=GPT5),
    item("gpt 5 pro inp glbl Tokens", 0.015, product=GPT5),
    item("gpt-5-codex-ccchd-inp-glbl Tokens", 0.000125, product=GPT5),
    item("gpt-5-codex-inp-glbl Tokens", 0.00125, product=GPT5),
    item("codex mini inp cchd glbl Tokens", 0.000375),
    item("codex mini inp glbl Tokens", 0.0015),
    item("o3-deep research 0626-inp-cchd-glbl 1M Tokens", 2.5, "1M", product=REASONING),
    item("o3-deep research 0626-inp-glbl 1M Tokens", 10.0, "1M", product=REASONING),
    item("chat-latest 08062026 opt Gl 1M Tokens", 10.0, "1M", product=GPT5),
    item("5.4 pro Batch inp Dz 1M Tokens", 16.5, "1M", product=GPT5),
    item("5.4 nano Batch cd Inp Gl", 0.01, "1M", product=GPT5),
    item("5.4 nano Batch Inp Gl", 0.1, "1M", product=GPT5),
    item("o4-mini 0416 Batch Inp Data Zone", 0.000605),
    item("gpt 4.1 Inp regnl", 0.0022, region="swedencentral", location="SE Central"),
    item("gpt 4o mini0718 BatchOutp DataZone", 0.00033),
    item("gpt 4o mini0718 BatchInp DataZone", 0.0000825),
    item("o1 1217 Outp Data Zone Tokens", 0.066),
    item("o1 1217 Inp Data Zone Tokens", 0.0165),
    item("5.6 luna ShortCo Cd Inp Std DZ 1M Tokens", 0.11, "1M", product=GPT5),
    item("5.6 luna ShortCo Inp Std DZ 1M Tokens", 1.1, "1M", product=GPT5),
    item("5.6 luna ShortCo Cd Wr Std DZ 1M Tokens", 1.375, "1M", product=GPT5),
    item("5.6 luna ShortCo Opt Std DZ 1M Tokens", 8.8, "1M", product=GPT5),
    item("5.6 luna LongCo Inp Std DZ 1M Tokens", 2.2, "1M", product=GPT5),
    item("5.6 luna LongCo Opt Std DZ 1M Tokens", 13.2, "1M", product=GPT5),
    item("5.6 terra ShortCo Cd Inp PP Gl 1M Tokens", 0.2, "1M", product=GPT5),
    item("5.6 terra ShortCo Inp PP Gl 1M Tokens", 2.0, "1M", product=GPT5),
    item("5.6 sol ShortCo Inp Flex Gl 1M Tokens", 0.5, "1M", product=GPT5),
    item("Provisioned Managed Global Unit", 1.0, "1 Hour", region="swedencentral",
         location="SE Central"),
    item("Provisioned Managed Data Zone Unit", 1.2, "1 Hour", region="swedencentral",
         location="SE Central"),
    item("Provisioned Managed Regional Unit", 2.28, "1 Hour", region="swedencentral",
         location="SE Central"),
    item("Provisioned Managed Data Zone", 312.0, "1/Month", price_type="Reservation",
         reservationTerm="1 Month", region="swedencentral", location="SE Central"),
    item("Provisioned Managed Regional", 3588.0, "1/Year", price_type="Reservation",
         reservationTerm="1 Year", region="swedencentral", location="SE Central"),
]  # fmt: skip


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, list[str]]
    status: int = 0


class FakeRetailPrices:
    """``with FakeRetailPrices() as fake:`` serves ``fake.url`` until the block ends."""

    def __init__(
        self,
        items: list[dict[str, Any]] | None = None,
        *,
        page_size: int = PAGE_SIZE,
        throttle_first: bool = False,
        malformed: bool = False,
    ) -> None:
        self.items = CATALOGUE if items is None else items
        self.page_size = page_size
        self.throttle_first = throttle_first
        self.malformed = malformed
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def start(self) -> FakeRetailPrices:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-retail-prices", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    def __enter__(self) -> FakeRetailPrices:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def matching(self, odata_filter: str) -> list[dict[str, Any]]:
        """The items a ``$filter`` selects; ValueError for syntax the fake does not know."""
        clauses = []
        for clause in odata_filter.split(" and "):
            match = _CLAUSE.match(clause.strip())
            if match is None:
                raise ValueError(clause)
            clauses.append(match.groups())
        return [i for i in self.items if all(_holds(i, *c) for c in clauses)]

    def answer(self, recorded: RecordedRequest) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(recorded)
            first = len(self.requests) == 1
        if recorded.path != PATH:
            return 404, {}, b'{"Error": {"Code": "NotFound"}}'
        if first and self.throttle_first:
            body = {"Error": {"Code": "TooManyRequests", "Message": "Rate limit exceeded."}}
            return 429, {"retry-after": "1"}, json.dumps(body).encode()
        query = {k: v[0] for k, v in recorded.query.items()}
        try:
            selected = self.matching(query.get("$filter", ""))
        except ValueError as exc:
            return 400, {}, json.dumps({"Error": {"Message": f"bad filter {exc}"}}).encode()
        skip = int(query.get("$skip", "0"))
        page = selected[skip : skip + self.page_size]
        next_link = None
        if skip + self.page_size < len(selected):
            params = {k: v for k, v in query.items() if k != "$skip"}
            params["$skip"] = str(skip + self.page_size)
            next_link = self.url + "?" + urlencode(params, quote_via=quote, safe="'$(),")
        currency = query.get("currencyCode", "'USD'").strip("'")
        envelope = {
            "BillingCurrency": currency,
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": next_link,
            "Count": len(page),
        }
        payload = json.dumps(envelope).encode()
        if self.malformed:
            payload = payload[: len(payload) // 2]
        return 200, {}, payload


def _holds(item: dict[str, Any], eq_field: str, eq_value: str, in_field: str, part: str) -> bool:
    if eq_field:
        name = "type" if eq_field == "priceType" else eq_field
        return bool(item.get(name) == eq_value)
    return part in str(item.get(in_field, ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeRetailPrices


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows what the tests assert, not an access log."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        recorded = RecordedRequest(parts.path, parse_qs(parts.query))
        status, headers, payload = self.server.fake.answer(recorded)
        recorded.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
