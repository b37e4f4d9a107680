"""Azure Monitor platform metrics of the Azure OpenAI resources (the Metrics REST API)."""
