-- Quality figures of the plan-code registrations per year and register (docs/method.md,
-- Product 2): the bare parent code ZZ0175 (valid, no type, counted in no row), invalid
-- ZZ0175* codes and orphan keys (both quarantined), and codes that were only valid after
-- trimming and upper-casing.
select
    year(registration_date) as year,
    source_register,
    count(*) as registrations,
    count(*) filter (where procedure_code = 'ZZ0175') as bare_parent_code,
    count(*) filter (where quarantine_reason = 'invalid_code') as invalid_code,
    count(*) filter (where quarantine_reason = 'orphan_key') as orphan_key,
    count(*) filter (
        where is_valid_code and procedure_code_as_delivered <> procedure_code
    ) as normalised_code
from {{ ref('int_registrations__plan_codes') }}
group by year(registration_date), source_register
