"""The dashboard: entrypoint, pages, components and the pages' data."""
