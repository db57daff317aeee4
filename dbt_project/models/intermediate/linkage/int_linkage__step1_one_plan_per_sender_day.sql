{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_relinked('sent_date', 'plans_from') }}"
) }}
-- Incremental from a moment: an incremental refresh rebuilds the rows of plans sent
-- on or after int_linkage__relinked_from.plans_from (docs/incremental-refresh.md,
-- macros/incremental_by_time.sql).
-- depends_on: {{ ref('int_linkage__relinked_from') }}
-- Step 1 (seed 003, "Trin 1"; docs/method.md, Product 1 step 1): one plan per person per sender
-- per day. Among plans with the same person, sender and sent date the one sent first is
-- kept: earliest timestamp, then smallest plan id [decision]. The others are duplicates.
with plans as (
    select * from {{ ref('int_plans') }}
    {% if is_incremental() %}
        where {{ relinked('sent_date', 'plans_from') }}
    {% endif %}
)

select
    plan_id,
    person_key,
    sender_code,
    sent_at,
    sent_date,
    sent_year,
    plan_type
from plans
qualify row_number() over (
    partition by person_key, sender_code, sent_date
    order by sent_at, plan_id
) = 1
