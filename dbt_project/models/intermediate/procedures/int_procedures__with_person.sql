{{ config(materialized='view') }}
-- Every LPR registration row with the person it reaches (docs/method.md, Product 2
-- "Registrations"): the one place where a procedure or a course marker finds its person.
--   LPR2 t_sksube: via its contact, v_recnum -> t_adm;
--   LPR3 procedurer_andre: via its contact, or via its course when it has no contact;
--   LPR3 forloebsmarkoerer: via its course.
-- A row whose key reaches no parent keeps a null person: an orphan. The plan codes, the
-- course markers and the quarantine read this model. A view, so that each reader's filter
-- (a code, a delivery month) reaches the raw rows before the joins, and no copy of seven
-- years of procedures is kept.
with lpr2_procedures as (
    select * from {{ ref('stg_lpr2__t_sksube') }}
),

lpr2_contacts as (
    select * from {{ ref('stg_lpr2__t_adm') }}
),

lpr3_procedures as (
    select * from {{ ref('stg_lpr3__procedurer_andre') }}
),

lpr3_markers as (
    select * from {{ ref('stg_lpr3__forloebsmarkoerer') }}
),

lpr3_contacts as (
    select * from {{ ref('stg_lpr3__kontakter') }}
),

lpr3_courses as (
    select * from {{ ref('stg_lpr3__forloeb') }}
),

lpr2 as (
    select
        'lpr2:' || lpr2_procedures.source_file || ':' || lpr2_procedures.source_row
            as registration_key,
        'lpr2' as source_register,
        'lpr2__t_sksube' as source_table,
        lpr2_procedures.procedure_code as code,
        lpr2_procedures.procedure_code_as_delivered as code_as_delivered,
        lpr2_procedures.procedure_date as registration_date,
        cast(null as varchar) as course_key,
        lpr2_contacts.person_key,
        lpr2_procedures.delivery_month,
        lpr2_procedures.source_file,
        lpr2_procedures.source_row
    from lpr2_procedures
    left join lpr2_contacts
        on lpr2_procedures.contact_key = lpr2_contacts.contact_key
),

lpr3_procedure_rows as (
    select
        'lpr3:' || lpr3_procedures.procedure_registration_key as registration_key,
        'lpr3' as source_register,
        'lpr3__procedurer_andre' as source_table,
        lpr3_procedures.procedure_code as code,
        lpr3_procedures.procedure_code_as_delivered as code_as_delivered,
        lpr3_procedures.procedure_date as registration_date,
        lpr3_procedures.course_key,
        case
            when lpr3_procedures.contact_key is not null then lpr3_contacts.person_key
            else lpr3_courses.person_key
        end as person_key,
        lpr3_procedures.delivery_month,
        lpr3_procedures.source_file,
        lpr3_procedures.source_row
    from lpr3_procedures
    left join lpr3_contacts
        on lpr3_procedures.contact_key = lpr3_contacts.contact_key
    -- On the course key alone: a condition on the left side only (contact_key is null)
    -- in this ON clause makes DuckDB give up its hash join (minutes at national volume).
    -- The case above takes the course's person only when there is no contact.
    left join lpr3_courses
        on lpr3_procedures.course_key = lpr3_courses.course_key
),

lpr3_marker_rows as (
    select
        'lpr3:' || lpr3_markers.source_file || ':' || lpr3_markers.source_row
            as registration_key,
        'lpr3' as source_register,
        'lpr3__forloebsmarkoerer' as source_table,
        lpr3_markers.marker_code as code,
        cast(null as varchar) as code_as_delivered,
        lpr3_markers.marker_date as registration_date,
        lpr3_markers.course_key,
        lpr3_courses.person_key,
        lpr3_markers.delivery_month,
        lpr3_markers.source_file,
        lpr3_markers.source_row
    from lpr3_markers
    left join lpr3_courses
        on lpr3_markers.course_key = lpr3_courses.course_key
)

select * from lpr2
union all
select * from lpr3_procedure_rows
union all
select * from lpr3_marker_rows
