{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_relinked('stay_end_date', 'stays_from') }}"
) }}
-- Incremental from a moment: an incremental refresh rebuilds the rows of stays ending
-- on or after int_linkage__relinked_from.stays_from (docs/incremental-refresh.md,
-- macros/incremental_by_time.sql).
-- depends_on: {{ ref('int_linkage__relinked_from') }}
-- Step 5 (seed 003, "Trin 5"): one plan per stay. When several plans kept the same stay,
-- the first sent is kept (earliest timestamp, then smallest plan id); the others are taken
-- to be supplements and are not re-linked to another stay (docs/method.md).
with nearest as (
    select * from {{ ref('int_linkage__step4_nearest_stay') }}
    {% if is_incremental() %}
        where {{ relinked('stay_end_date', 'stays_from') }}
    {% endif %}
)

select *
from nearest
qualify row_number() over (
    partition by stay_key
    order by sent_at, plan_id
) = 1
