"""OTLP/HTTP trace ingestion: receiver -> decode -> normalize -> queue -> store."""
