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
-- smallest absolute delay. Ties [decision, docs/method.md]: an admission before an outpatient
-- visit, then the later stay start, then the smaller stay key.
-- A table, not a view: step 5 and fct_plans_linked both read it; as views DuckDB builds the
-- pairs of steps 2-4 twice (bench/linkage.py, two national years: fct 10.1 s -> 2.7 s).
with pairs as (
    select * from {{ ref('int_linkage__step3_pairs_not_before_stay') }}
    {% if is_incremental() %}
        where {{ relinked('sent_date', 'plans_from') }}
    {% endif %}
)

select *
from pairs
qualify row_number() over (
    partition by plan_id
    order by
        abs(delay_days) asc,
        case when stay_type = 'admission' then 0 else 1 end asc,
        stay_start_date desc,
        stay_key asc
) = 1
