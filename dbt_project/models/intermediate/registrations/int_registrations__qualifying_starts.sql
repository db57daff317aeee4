-- Start codes for specialiseret (docs/method.md, Product 2; seed 000's note): a start marker
-- AWG1 qualifies when the same person has a stop marker AWX21 on or after it (in LPR3, in
-- the same course) and no plan registration - any of the eight valid codes, the bare parent
-- code included - dated from 14 days before to 60 days after the start.
with markers as (
    select * from {{ ref('int_registrations__course_markers') }}
    where person_key is not null
),

plan_codes as (
    select * from {{ ref('int_registrations__plan_codes') }}
    where is_valid_code and person_key is not null
),

starts as (
    select * from markers
    where marker_role = 'start'
),

stops as (
    select * from markers
    where marker_role = 'stop'
)

select
    starts.marker_key,
    starts.source_register,
    starts.person_key,
    starts.course_key,
    starts.marker_date as start_date
from starts
where
    exists (
        select 1
        from stops
        where
            stops.person_key = starts.person_key
            and stops.marker_date >= starts.marker_date
            and (starts.source_register = 'lpr2' or stops.course_key = starts.course_key)
    )
    and not exists (
        select 1
        from plan_codes
        where
            plan_codes.person_key = starts.person_key
            and plan_codes.registration_date
            between starts.marker_date - 14 and starts.marker_date + 60
    )
