-- The persons whose stays the next refresh must rebuild (docs/incremental-refresh.md): those
-- of every change above the newest change a completed refresh covered.
with changes as (
    select * from {{ ref('stg_platform__changed_persons') }}
),

refreshes as (
    select * from {{ ref('stg_platform__refreshes') }}
),

covered as (
    select coalesce(max(change_id), 0) as change_id
    from refreshes
)

select changes.person_key
from changes
inner join covered
    on changes.change_id > covered.change_id
group by changes.person_key
