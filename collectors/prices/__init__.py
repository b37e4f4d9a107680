"""Prices: the shipped, dated price book and reference files (``book``), and its refresh
from the Azure Retail Prices API: ``fetch`` (HTTP paging), ``parse`` (meter names -> price
rows) and ``apply`` (merge, difference, a new price book version in the store)."""
