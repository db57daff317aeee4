{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_stays_pending() }}"
) }}
-- Incremental by person (docs/incremental-refresh.md, macros/incremental_by_person.sql).
-- depends_on: {{ ref('stg_platform__pending_persons') }}
-- All stays of LPR2 and LPR3 in one vocabulary. No switch date is hard-coded: each stay
-- comes from whichever register the delivery month holds (docs/method.md, "Stays").
with lpr2 as (
    select
        stay_key,
        person_key,
        stay_type,
        stay_start_date,
        stay_end_date,
        'lpr2' as source_register
    from {{ ref('int_stays__lpr2') }}
),

lpr3 as (
    select
        stay_key,
        person_key,
        stay_type,
        stay_start_date,
        stay_end_date,
        'lpr3' as source_register
    from {{ ref('int_stays__lpr3_chained') }}
),

stays as (
    select * from lpr2
    union all
    select * from lpr3
)

select
    stays.*,
    year(stays.stay_end_date) as stay_end_year
from stays
{% if is_incremental() %}
    -- Only the rows the stay models rebuilt (the pre-hook dropped the same ones here).
    inner join {{ ref('stg_platform__pending_persons') }} as pending
        on
            stays.person_key = pending.person_key
            and {{ stay_is_rebuilt('pending', 'stays') }}
    where {{ may_be_rebuilt('stays') }}
{% endif %}
