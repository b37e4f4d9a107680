"""Prices: the shipped, dated price book and the deployment-type billing rules."""
