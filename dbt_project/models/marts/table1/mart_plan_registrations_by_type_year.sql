-- Plan registrations per type and year after the 14-day rule (counted registrations, not
-- persons), nationally: for comparison with national figures such as 2023's 214,550 plans
-- (seed 002). Also the registrations before the rule, and how many had no Danish address.
with typed as (
    select
        plan_type,
        year(registration_date) as year,
        count(*) as registrations_typed
    from {{ ref('int_registrations__typed') }}
    group by plan_type, year(registration_date)
),

resident as (
    select
        plan_type,
        registration_year as year,
        count(*) as registrations_resident,
        count(*) filter (where is_counted) as registrations_counted,
        count(*) filter (where is_counted and registration_kind = 'start_marker')
            as counted_from_start_markers
    from {{ ref('int_registrations__fourteen_day_rule') }}
    group by plan_type, registration_year
)

select
    typed.plan_type,
    typed.year,
    typed.registrations_typed,
    coalesce(resident.registrations_resident, 0) as registrations_resident,
    typed.registrations_typed - coalesce(resident.registrations_resident, 0)
        as registrations_without_danish_address,
    coalesce(resident.registrations_counted, 0) as registrations_counted,
    coalesce(resident.counted_from_start_markers, 0) as counted_from_start_markers
from typed
left join resident
    on typed.plan_type = resident.plan_type and typed.year = resident.year
