-- Registrations that carry a plan type (docs/method.md, Product 2 "Code -> type" and "Start
-- codes"): valid plan codes with a type (the bare parent ZZ0175 has none and is counted in
-- no row) and qualifying AWG1 starts, which count as specialiseret on their date.
with plan_codes as (
    select * from {{ ref('int_registrations__plan_codes') }}
),

starts as (
    select * from {{ ref('int_registrations__qualifying_starts') }}
),

typed_codes as (
    select
        registration_key,
        source_register,
        person_key,
        plan_type,
        registration_date,
        'plan_code' as registration_kind
    from plan_codes
    where quarantine_reason is null and plan_type is not null
),

qualifying_starts as (
    select
        marker_key as registration_key,
        source_register,
        person_key,
        'specialiseret' as plan_type,
        start_date as registration_date,
        'start_marker' as registration_kind
    from starts
)

select * from typed_codes
union all
select * from qualifying_starts
