-- The persons whose stays the next refresh must rebuild (docs/incremental-refresh.md): those
-- of every change above the newest change a completed refresh covered, per register. LPR2
-- stays are rebuilt whole; LPR3 stays from the earliest moment a change begins (NULL: from
-- the first), since a contact joins only stays that end at most 4 hours before it starts.
with changes as (
    select * from {{ ref('stg_platform__changed_persons') }}
),

refreshes as (
    select * from {{ ref('stg_platform__refreshes') }}
),

covered as (
    select coalesce(max(change_id), 0) as change_id
    from refreshes
),

pending as (
    select changes.*
    from changes
    inner join covered
        on changes.change_id > covered.change_id
),

lpr3 as (
    select * from pending
    where register = 'lpr3'
)

select
    pending.person_key,
    count(case when pending.register = 'lpr2' then 1 end) > 0 as lpr2_pending,
    count(lpr3.person_key) > 0 as lpr3_pending,
    -- NULL ("from the first") when one LPR3 change of the person has no moment.
    case
        when count(lpr3.person_key) = count(lpr3.changed_from) then min(lpr3.changed_from)
    end as lpr3_changed_from,
    -- The earliest end date of a stay of the person that the stay models rebuild: the day
    -- before the LPR3 moment (macros/incremental_by_person.sql, stay_is_rebuilt), or all
    -- stays when the LPR2 stays are rebuilt or the moment is unknown. The stays' tests on
    -- an incremental refresh judge the rows ending on or after the earliest of these.
    case
        when
            count(case when pending.register = 'lpr2' then 1 end) = 0
            and count(lpr3.person_key) = count(lpr3.changed_from)
            then {{ dbt.dateadd('day', -1, 'cast(min(lpr3.changed_from) as date)') }}
        else cast('0001-01-01' as date)
    end as stays_rebuilt_from
from pending
left join lpr3
    on
        pending.change_id = lpr3.change_id
        and pending.person_key = lpr3.person_key
        and pending.register = lpr3.register
group by pending.person_key
