{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_relinked('sent_date', 'plans_from') }}"
) }}
-- Incremental from a moment: an incremental refresh rebuilds the rows of plans sent
-- on or after int_linkage__relinked_from.plans_from (docs/incremental-refresh.md,
-- macros/incremental_by_time.sql).
-- depends_on: {{ ref('int_linkage__relinked_from') }}
-- Step 4 (seed 003, "Trin 4"): for each plan keep the one pair nearest in time, the
-- smallest absolute delay. Ties [decision, method.md]: an admission before an outpatient
-- visit, then the later stay start, then the smaller stay key.
-- A table, not a view: step 5 and fct_plans_linked both read it; as views DuckDB builds the
-- pairs of steps 2-4 twice (bench/linkage.py, two national years: fct 10.1 s -> 2.7 s).
-- Steps 2 and 3 are views fused into this query.
with pairs as (
    select * from {{ ref('int_linkage__step3_pairs_not_before_stay') }}
    {% if is_incremental() %}
        -- The stays a relinked plan pairs with end on or after stays_from (1 January of
        -- the year before plans_from): the second bound removes no pair, it lets DuckDB
        -- skip the older stays.
        where
            {{ relinked('sent_date', 'plans_from') }}
            and {{ relinked('stay_end_date', 'stays_from') }}
    {% endif %}
),

-- The pair of least (delay, type, start, key) per plan, by a hash aggregate: min_by over a
-- struct key, where a window sorts every pair (two national years, 5.2 M pairs: 7.7 s ->
-- 5.3 s). The key is unique within a plan (the pairs' grain is plan and stay), so exactly
-- one pair is kept, as the window did.
nearest as (
    select
        min_by(
            pairs,
            struct_pack(
                nearness := abs(delay_days),
                admission_first := case when stay_type = 'admission' then 0 else 1 end,
                later_start_first := datediff('day', stay_start_date, date '9999-12-31'),
                smaller_key_first := stay_key
            )
        ) as pair
    from pairs
    group by plan_id
)

select pair.*
from nearest
