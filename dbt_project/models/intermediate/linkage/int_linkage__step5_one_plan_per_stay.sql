-- Step 5 (seed 003, "Trin 5"): one plan per stay. When several plans kept the same stay,
-- the first sent is kept (earliest timestamp, then smallest plan id); the others are taken
-- to be supplements and are not re-linked to another stay (method.md).
with nearest as (
    select * from {{ ref('int_linkage__step4_nearest_stay') }}
)

select *
from nearest
qualify row_number() over (
    partition by stay_key
    order by sent_at, plan_id
) = 1
