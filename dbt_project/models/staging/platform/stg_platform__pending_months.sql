-- The delivery months loaded since the last complete refresh (docs/incremental-refresh.md):
-- on an incremental refresh the staging tests and gates judge their rows.
with changes as (
    select * from {{ source('platform', 'changed_months') }}
),

refreshes as (
    select * from {{ ref('stg_platform__refreshes') }}
),

covered as (
    select coalesce(max(change_id), 0) as change_id
    from refreshes
)

select changes.delivery_month
from changes
inner join covered
    on changes.change_id > covered.change_id
group by changes.delivery_month
