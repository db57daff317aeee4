-- Plan-code registrations (docs/method.md, Product 2 "Registrations" and "Valid codes"): every
-- procedure whose code begins ZZ0175 after trimming and upper-casing, from LPR2 t_sksube
-- (person via v_recnum -> t_adm) and LPR3 procedurer_andre (person via the contact, or via
-- the course when there is no contact). A code outside the seed sks_plan_codes is invalid,
-- and a registration whose key reaches no person is an orphan: both are kept here with
-- their reason for the quarantine, and used nowhere else.
with lpr2_procedures as (
    select * from {{ ref('stg_lpr2__t_sksube') }}
),

lpr2_contacts as (
    select * from {{ ref('stg_lpr2__t_adm') }}
),

lpr3_procedures as (
    select * from {{ ref('stg_lpr3__procedurer_andre') }}
),

lpr3_contacts as (
    select * from {{ ref('stg_lpr3__kontakter') }}
),

lpr3_courses as (
    select * from {{ ref('stg_lpr3__forloeb') }}
),

plan_codes as (
    select * from {{ ref('sks_plan_codes') }}
),

lpr2 as (
    select
        'lpr2:' || lpr2_procedures.source_file || ':' || lpr2_procedures.source_row
            as registration_key,
        'lpr2' as source_register,
        lpr2_procedures.source_file,
        lpr2_procedures.source_row,
        lpr2_contacts.person_key,
        lpr2_procedures.procedure_code,
        lpr2_procedures.procedure_code_as_delivered,
        lpr2_procedures.procedure_date as registration_date
    from lpr2_procedures
    left join lpr2_contacts
        on lpr2_procedures.contact_key = lpr2_contacts.contact_key
    where lpr2_procedures.procedure_code like 'ZZ0175%'
),

lpr3 as (
    select
        'lpr3:' || lpr3_procedures.procedure_registration_key as registration_key,
        'lpr3' as source_register,
        lpr3_procedures.source_file,
        lpr3_procedures.source_row,
        case
            when lpr3_procedures.contact_key is not null then lpr3_contacts.person_key
            else lpr3_courses.person_key
        end as person_key,
        lpr3_procedures.procedure_code,
        lpr3_procedures.procedure_code_as_delivered,
        lpr3_procedures.procedure_date as registration_date
    from lpr3_procedures
    left join lpr3_contacts
        on lpr3_procedures.contact_key = lpr3_contacts.contact_key
    -- On the course key alone: a condition on the left side only (contact_key is null)
    -- in this ON clause makes DuckDB give up its hash join (minutes at national volume).
    -- The case above takes the course's person only when there is no contact.
    left join lpr3_courses
        on lpr3_procedures.course_key = lpr3_courses.course_key
    where lpr3_procedures.procedure_code like 'ZZ0175%'
),

registrations as (
    select * from lpr2
    union all
    select * from lpr3
)

select
    registrations.*,
    plan_codes.plan_type,
    plan_codes.sks_code is not null as is_valid_code,
    case
        when plan_codes.sks_code is null then 'invalid_code'
        when registrations.person_key is null then 'orphan_key'
    end as quarantine_reason
from registrations
left join plan_codes
    on registrations.procedure_code = plan_codes.sks_code
