-- Course markers of specialised rehabilitation (docs/method.md, Product 2 "Registrations"):
-- the codes of the course_markers seed, AWG1 (start) and AWX21 (stop), in LPR2 as t_sksube
-- codes (no course) and in LPR3 as forloebsmarkoerer, each with its person
-- (int_procedures__with_person).
with registrations as (
    select * from {{ ref('int_procedures__with_person') }}
    where source_table in ('lpr2__t_sksube', 'lpr3__forloebsmarkoerer')
),

marker_codes as (
    select * from {{ ref('course_markers') }}
)

select
    registrations.registration_key as marker_key,
    registrations.source_register,
    registrations.person_key,
    registrations.course_key,
    registrations.code as marker_code,
    marker_codes.marker_role,
    registrations.registration_date as marker_date
from registrations
inner join marker_codes
    on registrations.code = marker_codes.marker_code
