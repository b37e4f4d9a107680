"""Azure Retail Prices API: the HTTP paging, nothing else.

The API (``https://prices.azure.com/api/retail/prices``, unauthenticated) lists one item per
meter, region and price type; Azure OpenAI meters sit under ``serviceName`` ``Foundry
Models`` (formerly ``Cognitive Services``) with an OpenAI ``productName``. Pay-as-you-go
token meters and hourly provisioned (PTU) meters are ``priceType`` ``Consumption``; PTU
reservations (monthly, yearly) are ``Reservation``. ``fetch_retail_pages`` follows
``NextPageLink`` for each filter, retries throttling and server errors honouring
``Retry-After``, and reads prices as ``Decimal``. What the items mean is ``parse.py``'s job.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import httpx

from lens_errors import UpstreamError

log = logging.getLogger(__name__)

# Filter values are case-sensitive since api-version 2023-01-01-preview.
RETAIL_FILTERS: Final = (
    "serviceName eq 'Foundry Models' and contains(productName, 'OpenAI') "
    "and priceType eq 'Consumption'",
    "serviceName eq 'Cognitive Services' and contains(productName, 'OpenAI') "
    "and priceType eq 'Consumption'",
    "serviceName eq 'Foundry Models' and contains(productName, 'OpenAI') "
    "and priceType eq 'Reservation'",
    "serviceName eq 'Cognitive Services' and contains(productName, 'OpenAI') "
    "and priceType eq 'Reservation'",
)
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


class RetailPricesError(UpstreamError, RuntimeError):
    """The Retail Prices API could not be read; ``message`` says what, ``hint`` what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})"


@dataclass(frozen=True)
class RetailPricesConfig:
    base_url: str = "https://prices.azure.com/api/retail/prices"
    api_version: str = "2023-01-01-preview"
    currency: str = "USD"
    timeout_s: float = 30.0
    max_pages: int = 200  # per filter; the API answers 1000 items a page
    max_retries: int = 3  # for 429, 5xx and connection failures
    max_retry_wait_s: float = 60.0

    def __post_init__(self) -> None:
        if self.currency != "USD":
            raise ValueError(
                f"currency {self.currency!r}: the price book and every *_usd column are in "
                "US dollars, so prices are read in USD"
            )


def fetch_retail_pages(
    config: RetailPricesConfig, client: httpx.Client
) -> Iterator[list[dict[str, Any]]]:
    """The ``Items`` of every page, for each filter of ``RETAIL_FILTERS``, following
    ``NextPageLink`` until it is null. Raises ``RetailPricesError``."""
    base = httpx.URL(config.base_url)
    for odata_filter in RETAIL_FILTERS:
        params = {
            "api-version": config.api_version,
            "currencyCode": f"'{config.currency}'",
            "$filter": odata_filter,
        }
        url: httpx.URL | None = base.copy_merge_params(params)
        seen: set[str] = set()
        while url is not None:
            if len(seen) >= config.max_pages:
                raise RetailPricesError(
                    f"the Retail Prices API had more than {config.max_pages} pages for "
                    f"[{odata_filter}]",
                    "raise max_pages in the retail prices configuration",
                )
            seen.add(str(url))
            body = _get_page(config, client, url)
            yield body["Items"]
            url = _next_page(base, body.get("NextPageLink"), seen)


def fetch_retail_items(
    config: RetailPricesConfig, client: httpx.Client
) -> Iterator[dict[str, Any]]:
    """Every item the API lists for Azure OpenAI meters (pay-as-you-go and reservations)."""
    for page in fetch_retail_pages(config, client):
        yield from page


def _get_page(config: RetailPricesConfig, client: httpx.Client, url: httpx.URL) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            response = client.get(url, timeout=config.timeout_s)
        except httpx.TransportError as exc:
            if attempt >= config.max_retries:
                raise RetailPricesError(
                    f"cannot reach the Retail Prices API at {url.host}: {exc}",
                    "check the network, proxy and base URL, then run the refresh again",
                ) from exc
            wait = min(2.0**attempt, config.max_retry_wait_s)
        else:
            if response.status_code == 200:
                return _page_body(response)
            if response.status_code not in _RETRY_STATUSES or attempt >= config.max_retries:
                raise RetailPricesError(
                    f"the Retail Prices API answered HTTP {response.status_code}: "
                    f"{response.text[:300]!r}",
                    "run the refresh again later; if it persists, check the base URL and "
                    "api-version in the retail prices configuration",
                )
            wait = _retry_wait(response, attempt, config.max_retry_wait_s)
        attempt += 1
        log.info("Retail Prices API: retry %d in %.1fs", attempt, wait)
        time.sleep(wait)


def _retry_wait(response: httpx.Response, attempt: int, cap: float) -> float:
    header = response.headers.get("retry-after", "").strip()
    wait: float | None = None
    if header.isdigit():
        wait = float(header)
    elif header:
        try:
            wait = (email.utils.parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            wait = None
    return min(max(wait if wait is not None else 2.0**attempt, 0.0), cap)


def _page_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise RetailPricesError(
            f"the Retail Prices API answered with malformed JSON ({exc}) from {response.url}",
            "run the refresh again later; nothing was changed",
        ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("Items"), list):
        raise RetailPricesError(
            f"the Retail Prices API answer from {response.url} has no Items list",
            "check the base URL points at the Retail Prices API; nothing was changed",
        )
    return body


def _next_page(base: httpx.URL, link: object, seen: set[str]) -> httpx.URL | None:
    if link is None or link == "":
        return None
    url = httpx.URL(str(link))
    if (url.scheme, url.host) != (base.scheme, base.host):
        raise RetailPricesError(
            f"NextPageLink {link!r} leaves {base.host}", "check the base URL; nothing was changed"
        )
    if str(url) in seen:
        raise RetailPricesError(
            f"NextPageLink {link!r} repeats a page", "run the refresh again later"
        )
    return url
