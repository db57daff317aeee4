-- Step 1 (seed 003, "Trin 1"; method.md, Product 1 step 1): one plan per person per sender
-- per day. Among plans with the same person, sender and sent date the one sent first is
-- kept: earliest timestamp, then smallest plan id [decision]. The others are duplicates.
with plans as (
    select * from {{ ref('int_plans') }}
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
