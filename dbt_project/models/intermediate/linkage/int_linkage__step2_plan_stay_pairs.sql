{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_relinked('sent_date', 'plans_from') }}"
) }}
-- Incremental from a moment: an incremental refresh rebuilds the rows of plans sent
-- on or after int_linkage__relinked_from.plans_from (docs/incremental-refresh.md,
-- macros/incremental_by_time.sql).
-- depends_on: {{ ref('int_linkage__relinked_from') }}
-- Step 2 (seed 003, "Trin 2"): pair each plan kept by step 1 with every stay of the same
-- person whose end date lies in the analysis year Y or in Y-1, and compute the delay in
-- whole days from the stay end date (discharge or visit date) to the sent date.
-- Joining on (person, stay end year) keeps the candidate pairs small (docs/stack.md).
with plans as (
    select * from {{ ref('int_linkage__step1_one_plan_per_sender_day') }}
    {% if is_incremental() %}
        where {{ relinked('sent_date', 'plans_from') }}
    {% endif %}
),

stays as (
    select * from {{ ref('int_stays') }}
    {% if is_incremental() %}
        where {{ relinked('stay_end_date', 'stays_from') }}
    {% endif %}
),

plan_stay_years as (
    select
        *,
        unnest([sent_year - 1, sent_year]) as stay_end_year
    from plans
)

select
    plan_stay_years.plan_id,
    plan_stay_years.person_key,
    plan_stay_years.sent_at,
    plan_stay_years.sent_date,
    stays.stay_key,
    stays.stay_type,
    stays.stay_start_date,
    stays.stay_end_date,
    datediff('day', stays.stay_end_date, plan_stay_years.sent_date) as delay_days
from plan_stay_years
inner join stays
    on
        plan_stay_years.person_key = stays.person_key
        and plan_stay_years.stay_end_year = stays.stay_end_year
