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
-- inside when its delay lies within the limits of its stay type, the seed
-- `timeliness_window` (0..14 days for an outpatient visit, -1..14 for an admission);
-- outside it is a tail. Inside, the timeliness group comes from the seed
-- `timeliness_groups` (timely <= 1 day, 2-7, 8-14), whose empty outer bounds are the
-- window's own.
with linked as (
    select * from {{ ref('int_linkage__step5_one_plan_per_stay') }}
    {% if is_incremental() %}
        where {{ relinked('stay_end_date', 'stays_from') }}
    {% endif %}
),

window_limits as (
    select * from {{ ref('timeliness_window') }}
),

groups as (
    select * from {{ ref('timeliness_groups') }}
),

windowed as (
    select
        linked.*,
        coalesce(
            linked.delay_days between window_limits.min_delay_days
            and window_limits.max_delay_days,
            false
        ) as is_inside_window
    from linked
    left join window_limits
        on linked.stay_type = window_limits.stay_type
)

select
    windowed.*,
    groups.timeliness_group
from windowed
left join groups
    on
        windowed.is_inside_window
        and (groups.min_delay_days is null or windowed.delay_days >= groups.min_delay_days)
        and (groups.max_delay_days is null or windowed.delay_days <= groups.max_delay_days)
