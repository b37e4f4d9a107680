-- name: 002_prices
-- returns: nothing (migration): dated price book versions and deployment-type billing rules
-- params:
CREATE TABLE price_book_versions (
    version      VARCHAR PRIMARY KEY,
    source       VARCHAR NOT NULL,   -- the shipped file, or the Retail Prices API
    loaded_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE price_book (
    version              VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,   -- base model name, without a version date
    deployment_type      VARCHAR NOT NULL,
    region               VARCHAR,            -- NULL: any region
    input_per_1m         DECIMAL(18, 6),     -- USD per 1M tokens
    cached_input_per_1m  DECIMAL(18, 6),
    output_per_1m        DECIMAL(18, 6),
    effective_from       DATE NOT NULL,
    effective_to         DATE,               -- NULL: still in force
    source               VARCHAR
);

CREATE TABLE deployment_types (
    deployment_type  VARCHAR PRIMARY KEY,
    billing          VARCHAR NOT NULL,       -- tokens | ptu
    multiplier       DECIMAL(9, 4) NOT NULL  -- on the GlobalStandard price, when no own row
);
