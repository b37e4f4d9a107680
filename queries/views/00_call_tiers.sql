-- name: 00_call_tiers
-- returns: scalar macros base_model(model_name) (the model without its version date), billed_service_tier(reported_tier) (default | priority | flex | another tier as reported) and context_tier_above(long_above_tokens, prompt_tokens) (long | short)
-- params:
-- What a call's price depends on besides model and deployment type. The service tier is the
-- one the response reports: Priority downgraded to Standard comes back as 'default' and is
-- billed so; a call that reports none ('auto' is a request, not an answer) is 'default'.
-- A prompt above its model's threshold in context_tiers bills at long-context rates.
CREATE OR REPLACE MACRO base_model(model_name) AS
    regexp_replace(lower(coalesce(model_name, '')), '-(\d{4}-\d{2}-\d{2}|\d{4})$', '');

CREATE OR REPLACE MACRO billed_service_tier(reported_tier) AS
    CASE WHEN coalesce(lower(reported_tier), '') IN ('', 'auto', 'default', 'standard')
        THEN 'default' ELSE lower(reported_tier) END;

-- The context tier of a call whose model bills prompts above long_above_tokens (NULL: no
-- threshold) at long-context rates; callers join context_tiers on base_model(model).
CREATE OR REPLACE MACRO context_tier_above(long_above_tokens, prompt_tokens) AS
    CASE WHEN coalesce(prompt_tokens, 0) > long_above_tokens THEN 'long' ELSE 'short' END;
