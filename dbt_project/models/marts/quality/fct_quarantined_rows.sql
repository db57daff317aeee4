{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=[
        "{{ delete_judged_again() }}",
        "{{ delete_given_parent('lpr2__t_bes', 'stg_lpr2__t_bes', 'contact_key', 'stg_lpr2__t_adm', 'contact_key') }}",
        "{{ delete_given_parent('lpr2__t_sksube', 'stg_lpr2__t_sksube', 'contact_key', 'stg_lpr2__t_adm', 'contact_key') }}",
        "{{ delete_given_parent('lpr3__procedurer_andre', 'stg_lpr3__procedurer_andre', 'contact_key', 'stg_lpr3__kontakter', 'contact_key', 'child.contact_key is not null') }}",
        "{{ delete_given_parent('lpr3__procedurer_andre', 'stg_lpr3__procedurer_andre', 'course_key', 'stg_lpr3__forloeb', 'course_key', 'child.contact_key is null') }}",
        "{{ delete_given_parent('lpr3__forloebsmarkoerer', 'stg_lpr3__forloebsmarkoerer', 'course_key', 'stg_lpr3__forloeb', 'course_key') }}",
    ]
) }}
-- The pre-hooks' orphan deletions read these children and parents (incremental_quarantine.sql):
-- depends_on: {{ ref('stg_lpr2__t_sksube') }}
-- depends_on: {{ ref('stg_lpr3__procedurer_andre') }}
-- depends_on: {{ ref('stg_lpr3__forloeb') }}
-- depends_on: {{ ref('stg_lpr3__forloebsmarkoerer') }}
-- The quarantine (docs/extract-contract.md, "What bad input gets"): every readable raw row that
-- breaks a row rule, with the rule, the delivery month, the file and the row, so a steward
-- can find it in the delivery. Such rows are counted nowhere: each model that applies the
-- rule leaves them out (named in the model). No person key is carried here.
-- Incremental by delivery month (macros/incremental_quarantine.sql): on an incremental
-- refresh each rule judges the pending months' rows (judged_month); an orphan is still
-- looked for among the parents of every month. Each import CTE is read once: DuckDB
-- materialises a CTE read more than once, which copied seven years of contacts and took
-- 40 s for one new month at national volume, and the month filter then reached
-- the children only after the joins. So a visit's parent is read in a `not exists` of its
-- own rule, and the registrations' persons come from the view int_procedures__with_person,
-- through which the month filter reaches the raw rows.
with lpr2_contacts as (
    select * from {{ ref('stg_lpr2__t_adm') }}
),

lpr2_visits as (
    select * from {{ ref('stg_lpr2__t_bes') }}
),

lpr3_contacts as (
    select * from {{ ref('stg_lpr3__kontakter') }}
),

registrations as (
    select * from {{ ref('int_procedures__with_person') }}
),

addresses as (
    select * from {{ ref('stg_cpr__t_adresse') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

plans as (
    select * from {{ ref('stg_gop__t_dgop') }}
    union all
    select * from {{ ref('stg_gop__t_ggop') }}
),

plan_types as (
    select * from {{ ref('gop_plan_types') }}
),

plan_codes as (
    select * from {{ ref('int_registrations__plan_codes') }}
),

quarantined as (
    -- LPR2 admission or course that ends before it starts.
    select
        'lpr2__t_adm' as source_table,
        delivery_month,
        source_file,
        source_row,
        'end_before_start' as rule,
        'd_uddto before d_inddto' as detail
    from lpr2_contacts
    where end_date < start_date and {{ judged_month('delivery_month') }}

    union all

    -- An outpatient visit of no known contact.
    select
        'lpr2__t_bes' as source_table,
        lpr2_visits.delivery_month,
        lpr2_visits.source_file,
        lpr2_visits.source_row,
        'orphan_key' as rule,
        'v_recnum not in t_adm' as detail
    from lpr2_visits
    where
        {{ judged_month('lpr2_visits.delivery_month') }}
        and not exists (
            select 1 from {{ ref('stg_lpr2__t_adm') }} as parent
            where parent.contact_key = lpr2_visits.contact_key
        )

    union all

    -- ZZ0175* codes outside seed 003's eight, and plan codes that reach no person
    -- (docs/method.md, "Valid codes"): from the registrations model, which flags both.
    select
        case source_register
            when 'lpr2' then 'lpr2__t_sksube' else 'lpr3__procedurer_andre'
        end as source_table,
        split_part(source_file, '/', 1) as delivery_month,
        source_file,
        source_row,
        quarantine_reason as rule,
        case quarantine_reason
            when 'invalid_code' then 'code ' || procedure_code || ' is not a valid plan code'
            else 'the registration reaches no person (contact or course unknown)'
        end as detail
    from plan_codes
    where
        quarantine_reason is not null
        and {{ judged_month("split_part(source_file, '/', 1)") }}

    union all

    -- An LPR3 contact that ends before it starts.
    select
        'lpr3__kontakter' as source_table,
        delivery_month,
        source_file,
        source_row,
        'end_before_start' as rule,
        'dato_slut/tidspunkt_slut before dato_start/tidspunkt_start' as detail
    from lpr3_contacts
    where ended_at < started_at and {{ judged_month('delivery_month') }}

    union all

    -- Other procedures and the course markers whose key reaches no person (a contact or
    -- course in no loaded month): every registration row but the plan codes, which come
    -- with their own reason above.
    select
        source_table,
        delivery_month,
        source_file,
        source_row,
        'orphan_key' as rule,
        case source_table
            when 'lpr2__t_sksube' then 'v_recnum not in t_adm'
            when 'lpr3__procedurer_andre'
                then
                    'dw_ek_kontakt not in kontakter, '
                    || 'or no contact and dw_ek_forloeb not in forloeb'
            else 'dw_ek_forloeb not in forloeb'
        end as detail
    from registrations
    where
        person_key is null
        and not (source_table <> 'lpr3__forloebsmarkoerer' and code like 'ZZ0175%')
        and {{ judged_month('delivery_month') }}

    union all

    -- An address with a municipality code not in reference/municipalities.csv.
    select
        'cpr__t_adresse' as source_table,
        'snapshot' as delivery_month,
        addresses.source_file,
        addresses.source_row,
        'unknown_municipality' as rule,
        'c_kom '
        || coalesce(addresses.municipality_code, '(missing)')
        || ' is not a municipality' as detail
    from addresses
    left join municipalities on addresses.municipality_code = municipalities.kommunekode
    where municipalities.kommunekode is null and {{ judged_month("'snapshot'") }}

    union all

    -- A plan whose type code is not in the seed gop_plan_types.
    select
        case plans.gop_standard when 'D-GOP' then 'gop__t_dgop' else 'gop__t_ggop' end
            as source_table,
        plans.delivery_month,
        plans.source_file,
        plans.source_row,
        'unknown_plan_type' as rule,
        'plan type code ' || coalesce(plans.gop_type_code, '(missing)') || ' is not known' as detail
    from plans
    left join plan_types
        on
            plans.gop_standard = plan_types.gop_standard
            and plans.gop_type_code = plan_types.gop_type_code
    where plan_types.plan_type is null and {{ judged_month('plans.delivery_month') }}
)

select * from quarantined
