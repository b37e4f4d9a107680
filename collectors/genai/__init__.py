"""The GenAI attribute rules, defined once, used by every source."""
