-- The persons whose stays or plans the next refresh must rebuild (docs/incremental-refresh.md):
-- those of every change above the newest change a completed refresh covered, per register.
-- LPR2 stays are rebuilt whole; LPR3 stays from the earliest moment a change begins (NULL:
-- from the first), since a contact joins only stays that end at most 4 hours before it
-- starts; plans (GOP) are linked again from the earliest changed sent time.
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

by_person as (
    select
        person_key,
        count(case when register = 'lpr2' then 1 end) > 0 as lpr2_pending,
        count(case when register = 'lpr3' then 1 end) > 0 as lpr3_pending,
        count(case when register = 'gop' then 1 end) > 0 as gop_pending,
        {{ register_changed_from('lpr3') }} as lpr3_changed_from,
        {{ register_changed_from('gop') }} as gop_changed_from
    from pending
    group by person_key
)

select
    person_key,
    lpr2_pending,
    lpr3_pending,
    gop_pending,
    lpr3_changed_from,
    gop_changed_from,
    -- The earliest end date of a stay of the person that the stay models rebuild: the day
    -- before the LPR3 moment (macros/incremental_by_person.sql, stay_is_rebuilt), all
    -- stays when the LPR2 stays are rebuilt or the moment is unknown, none (9999-12-31)
    -- when only plans changed. The stays' tests on an incremental refresh judge the rows
    -- ending on or after the earliest of these.
    case
        when lpr2_pending or (lpr3_pending and lpr3_changed_from is null)
            then cast('0001-01-01' as date)
        when lpr3_pending
            then {{ dbt.dateadd('day', -1, 'cast(lpr3_changed_from as date)') }}
        else cast('9999-12-31' as date)
    end as stays_rebuilt_from
from by_person
