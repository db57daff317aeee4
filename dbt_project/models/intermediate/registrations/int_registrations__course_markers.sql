-- Course markers of specialised rehabilitation (docs/method.md, Product 2 "Registrations"):
-- the codes of the course_markers seed, AWG1 (start) and AWX21 (stop), in LPR2 as t_sksube
-- codes (person via t_adm, no course) and in LPR3 as forloebsmarkoerer (person via the
-- course).
with marker_codes as (
    select * from {{ ref('course_markers') }}
),

lpr2_procedures as (
    select * from {{ ref('stg_lpr2__t_sksube') }}
),

lpr2_contacts as (
    select * from {{ ref('stg_lpr2__t_adm') }}
),

lpr3_markers as (
    select * from {{ ref('stg_lpr3__forloebsmarkoerer') }}
),

lpr3_courses as (
    select * from {{ ref('stg_lpr3__forloeb') }}
),

lpr2 as (
    select
        'lpr2:' || lpr2_procedures.source_file || ':' || lpr2_procedures.source_row
            as marker_key,
        'lpr2' as source_register,
        lpr2_contacts.person_key,
        cast(null as varchar) as course_key,
        lpr2_procedures.procedure_code as marker_code,
        marker_codes.marker_role,
        lpr2_procedures.procedure_date as marker_date
    from lpr2_procedures
    inner join marker_codes
        on lpr2_procedures.procedure_code = marker_codes.marker_code
    left join lpr2_contacts
        on lpr2_procedures.contact_key = lpr2_contacts.contact_key
),

lpr3 as (
    select
        'lpr3:' || lpr3_markers.source_file || ':' || lpr3_markers.source_row as marker_key,
        'lpr3' as source_register,
        lpr3_courses.person_key,
        lpr3_markers.course_key,
        lpr3_markers.marker_code,
        marker_codes.marker_role,
        lpr3_markers.marker_date
    from lpr3_markers
    inner join marker_codes
        on lpr3_markers.marker_code = marker_codes.marker_code
    left join lpr3_courses
        on lpr3_markers.course_key = lpr3_courses.course_key
)

select * from lpr2
union all
select * from lpr3
