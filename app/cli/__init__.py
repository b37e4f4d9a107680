"""The ``aoai-lens`` command line."""
