-- Plan-code registrations (docs/method.md, Product 2 "Registrations" and "Valid codes"): every
-- LPR2 t_sksube or LPR3 procedurer_andre procedure whose code begins ZZ0175 after trimming
-- and upper-casing, with its person (int_procedures__with_person). A code outside the seed
-- sks_plan_codes is invalid, and a registration whose key reaches no person is an orphan:
-- both are kept here with their reason for the quarantine, and used nowhere else.
with registrations as (
    select * from {{ ref('int_procedures__with_person') }}
    where
        source_table in ('lpr2__t_sksube', 'lpr3__procedurer_andre')
        and code like 'ZZ0175%'
),

plan_codes as (
    select * from {{ ref('sks_plan_codes') }}
)

select
    registrations.registration_key,
    registrations.source_register,
    registrations.source_file,
    registrations.source_row,
    registrations.person_key,
    registrations.code as procedure_code,
    registrations.code_as_delivered as procedure_code_as_delivered,
    registrations.registration_date,
    plan_codes.plan_type,
    plan_codes.sks_code is not null as is_valid_code,
    case
        when plan_codes.sks_code is null then 'invalid_code'
        when registrations.person_key is null then 'orphan_key'
    end as quarantine_reason
from registrations
left join plan_codes
    on registrations.code = plan_codes.sks_code
