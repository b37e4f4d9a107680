"""Azure OpenAI's data-plane wire, written once: the header names, response bodies, error
bodies and event streams that the built-in simulator answers with, the instrumented client
reads, and the tests check.

Pure (values in, JSON-ready dicts or bytes out) and standing alone: it imports nothing of
aoai-lens, so ``simulator/`` and ``aoai_client/`` share it without knowing each other.

- ``headers``: the response headers Azure sends and the ones a throttled answer adds.
- ``content_filter``: severities, harm categories, verdict shapes and the key spellings.
- ``bodies``: chat completions, their streamed chunks, usage, embeddings.
- ``errors``: Azure's error bodies: 404, 401, ``DeploymentNotFound``, the blocked prompt in
  both spellings, 429.
- ``sse``: server-sent events as the wire carries them, ending in ``data: [DONE]``.

Shapes follow the 2024-10-21 data-plane specification (Azure/azure-rest-api-specs
``specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/
inference.yaml``) and what Azure sends where the two differ; each module names its sources,
and docs/simulator.md lists them.
"""
