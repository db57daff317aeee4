-- From when an incremental refresh links plans again (docs/incremental-refresh.md;
-- macros/incremental_by_time.sql). Step 2 pairs a plan with every stay of its person ending
-- in its sent year or the year before, later ones included (step 3 drops those), so a
-- changed stay changes the pairs of the plans sent from 1 January of the year it ends in,
-- and a changed plan those of its own day (steps 1 and 5 compare plans of one person). So
-- plans are linked again from 1 January of the year of the earliest of: the start of a stay
-- the stay models rebuilt (each starts no earlier than the stay it replaces, or than the
-- LPR3 moment of its person), the pending persons' LPR3 moment, and their earliest changed
-- sent time. An LPR2 change, or a change whose moment is unknown, links every plan again.
with pending as (
    select * from {{ ref('stg_platform__pending_persons') }}
),

stays as (
    select * from {{ ref('int_stays') }}
),

rebuilt_stays as (
    select min(stays.stay_start_date) as first_start
    from stays
    inner join pending
        on
            stays.person_key = pending.person_key
            and {{ stay_is_rebuilt('pending', 'stays') }}
    where {{ may_be_rebuilt('stays') }}
),

moments as (
    select
        coalesce({{ dbt.bool_or(
            "lpr2_pending or (lpr3_pending and lpr3_changed_from is null)"
            ~ " or (gop_pending and gop_changed_from is null)") }}, false) as from_the_first,
        min(cast(lpr3_changed_from as date)) as lpr3_from,
        min(cast(gop_changed_from as date)) as gop_from
    from pending
),

relinked as (
    select
        case
            when moments.from_the_first then cast('0001-01-01' as date)
            else least(
                coalesce(rebuilt_stays.first_start, cast('9999-12-31' as date)),
                coalesce(moments.lpr3_from, cast('9999-12-31' as date)),
                coalesce(moments.gop_from, cast('9999-12-31' as date))
            )
        end as earliest_change
    from moments
    cross join rebuilt_stays
)

select
    case
        when earliest_change in (cast('0001-01-01' as date), cast('9999-12-31' as date))
            then earliest_change
        else cast({{ dbt.date_trunc('year', 'earliest_change') }} as date)
    end as plans_from,
    -- A plan pairs with stays ending in its sent year or the year before (step 2).
    case
        when earliest_change in (cast('0001-01-01' as date), cast('9999-12-31' as date))
            then earliest_change
        else cast({{ dbt.dateadd('year', -1, dbt.date_trunc('year', 'earliest_change')) }} as date)
    end as stays_from
from relinked
