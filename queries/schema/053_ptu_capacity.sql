-- name: 053_ptu_capacity
-- returns: nothing (migration): Microsoft's PTU sizing figures per model (ptu_figures, from collectors/prices/ptu_figures.csv) and the date from which a registered deployment is provisioned (deployments.since)
-- params:
-- ptu_allocation() (06_ptu_allocation.sql) measures each hour of a provisioned deployment
-- against what its PTUs can serve: PTUs x input_tpm_per_ptu x 60 input-equivalent tokens,
-- where a call's tokens count as uncached input + output_ratio x output.
CREATE TABLE ptu_figures (
    model              VARCHAR PRIMARY KEY,  -- base model name, as base_model() gives it
    input_tpm_per_ptu  DOUBLE NOT NULL,      -- input tokens per minute one PTU serves
    output_ratio       DOUBLE NOT NULL,      -- input tokens one output token counts as
    as_of              VARCHAR NOT NULL,
    source             VARCHAR NOT NULL
);

-- Hours before it are not charged (nor are those before the deployment's first call).
ALTER TABLE deployments ADD COLUMN since TIMESTAMPTZ;
