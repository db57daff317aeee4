{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_lpr3_pending() }}"
) }}
-- Incremental by person (docs/incremental-refresh.md, macros/incremental_by_person.sql).
-- depends_on: {{ ref('stg_platform__pending_persons') }}
-- LPR3 stays (docs/method.md, "Stays (from LPR)"): a person's completed physical-attendance
-- contacts (kontakttype ALCA00) that overlap or lie at most 4 hours apart, end of one to
-- start of the next, are chained into one stay. A stay of 12 hours or more is an admission
-- (start = date of its first start, discharge = date of its last end); a shorter one is an
-- outpatient visit on the date of its start. A contact without an end is not used
-- [decision]; one that ends before it starts is left to the quarantine.
with
{% if is_incremental() %}
    -- The pending persons' kept stays (the pre-hook dropped those a change can reach): the
    -- contacts after the last of them are chained again, from a new stay.
    rebuild_after as (
        select
            pending.person_key,
            coalesce(max(kept.ended_at), cast('0001-01-01' as timestamp)) as kept_until
        from {{ ref('stg_platform__pending_persons') }} as pending
        left join {{ this }} as kept
            on pending.person_key = kept.person_key
        where pending.lpr3_pending
        group by pending.person_key
    ),
{% endif %}

contacts as (
    select
        kontakter.contact_key,
        kontakter.person_key,
        kontakter.started_at,
        kontakter.ended_at
    from {{ ref('stg_lpr3__kontakter') }} as kontakter
    {% if is_incremental() %}
        inner join rebuild_after
            on
                kontakter.person_key = rebuild_after.person_key
                and kontakter.started_at > rebuild_after.kept_until
    {% endif %}
    where
        kontakter.contact_type_code = 'ALCA00'
        and kontakter.ended_at is not null
        and kontakter.ended_at >= kontakter.started_at
),

with_previous_end as (
    select
        *,
        -- The latest end among the person's earlier contacts: a contact inside a long one
        -- still belongs to it. Ordered by start alone (a timestamp sorts far faster than a
        -- key at national volume): among contacts that start at the same moment, whichever comes
        -- first may open a stay and the others then see its end, never earlier than their
        -- start, so the chains are the same in any order of ties.
        max(ended_at) over (
            partition by person_key
            order by started_at
            rows between unbounded preceding and 1 preceding
        ) as previous_end
    from contacts
),

flagged as (
    select
        *,
        coalesce(
            started_at > previous_end + to_hours({{ var('lpr3_chain_gap_hours') }}), true
        ) as starts_stay
    from with_previous_end
),

numbered as (
    select
        *,
        -- A range frame counts every contact of the same start moment together, so ties
        -- land in the stay that one of them opened.
        sum(case when starts_stay then 1 else 0 end) over (
            partition by person_key
            order by started_at
            range between unbounded preceding and current row
        ) as stay_number
    from flagged
),

chained as (
    select
        person_key,
        stay_number,
        -- The stay is named by its first contact: the smallest key among those that start
        -- first, whichever of them opened it.
        {{ first_by('contact_key', 'started_at', 'contact_key') }} as first_contact_key,
        min(started_at) as started_at,
        max(ended_at) as ended_at,
        count(*) as contact_count
    from numbered
    group by person_key, stay_number
)

select
    'lpr3:' || first_contact_key as stay_key,
    person_key,
    case
        when ended_at - started_at >= to_hours({{ var('lpr3_admission_min_hours') }})
            then 'admission'
        else 'outpatient'
    end as stay_type,
    cast(started_at as date) as stay_start_date,
    case
        when ended_at - started_at >= to_hours({{ var('lpr3_admission_min_hours') }})
            then cast(ended_at as date)
        else cast(started_at as date)
    end as stay_end_date,
    started_at,
    ended_at,
    contact_count
from chained
