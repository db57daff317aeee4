{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_relinked('stay_end_date', 'stays_from') }}"
) }}
-- Incremental from a moment: an incremental refresh rebuilds the rows of stays ending
-- on or after int_linkage__relinked_from.stays_from (docs/incremental-refresh.md,
-- macros/incremental_by_time.sql).
-- depends_on: {{ ref('int_linkage__relinked_from') }}
-- The timeliness window (seed 003, "Rettidig afsendelse"; docs/method.md): a linked plan is
-- inside when 0 <= delay <= 14 for an outpatient visit, or -1 <= delay <= 14 for an
-- admission; outside it is a tail. Inside, the timeliness group comes from the seed
-- `timeliness_groups` (timely <= 1 day, 2-7, 8-14).
with linked as (
    select * from {{ ref('int_linkage__step5_one_plan_per_stay') }}
    {% if is_incremental() %}
        where {{ relinked('stay_end_date', 'stays_from') }}
    {% endif %}
),

groups as (
    select * from {{ ref('timeliness_groups') }}
),

windowed as (
    select
        *,
        delay_days between
        case
            when stay_type = 'admission' then {{ var('window_min_delay_admission') }}
            else {{ var('window_min_delay_outpatient') }}
        end
        and {{ var('window_max_delay_days') }} as is_inside_window
    from linked
)

select
    windowed.*,
    groups.timeliness_group
from windowed
left join groups
    on
        windowed.is_inside_window
        and windowed.delay_days between groups.min_delay_days and groups.max_delay_days
