{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_lpr2_pending() }}"
) }}
-- Incremental by person (docs/incremental-refresh.md, macros/incremental_by_person.sql).
-- depends_on: {{ ref('stg_platform__pending_persons') }}
-- LPR2 stays (docs/method.md, "Stays (from LPR)"):
--   c_pattype '0': an admission from d_inddto to d_uddto;
--   c_pattype '1': every t_bes row of the course is one outpatient visit on d_ambdto;
--   c_pattype '2': an emergency-room contact is one outpatient visit on d_inddto.
-- An admission without d_uddto is ongoing and not used [decision]; one that ends before it
-- starts breaks a row rule and is left to the quarantine, not used here.
with contacts as (
    select * from {{ ref('stg_lpr2__t_adm') }}
    {% if is_incremental() %}
        where person_key in (
            select person_key from {{ ref('stg_platform__pending_persons') }}
            where lpr2_pending
        )
    {% endif %}
),

visits as (
    select * from {{ ref('stg_lpr2__t_bes') }}
),

admissions as (
    select
        'lpr2:adm:' || contact_key as stay_key,
        person_key,
        'admission' as stay_type,
        start_date as stay_start_date,
        end_date as stay_end_date
    from contacts
    where
        patient_type_code = '0'
        and end_date is not null
        and end_date >= start_date
),

outpatient_visits as (
    select
        -- Two visits of one course on one day are two rows of t_bes, so two visits: the
        -- running number keeps their keys apart, in delivery order.
        'lpr2:bes:' || visits.contact_key || ':' || strftime(visits.visit_date, '%Y%m%d')
        || ':' || row_number() over (
            partition by visits.contact_key, visits.visit_date
            order by visits.delivery_month, visits.source_row
        ) as stay_key,
        contacts.person_key,
        'outpatient' as stay_type,
        visits.visit_date as stay_start_date,
        visits.visit_date as stay_end_date
    from visits
    inner join contacts
        on visits.contact_key = contacts.contact_key
    where contacts.patient_type_code = '1'
),

emergency_visits as (
    select
        'lpr2:er:' || contact_key as stay_key,
        person_key,
        'outpatient' as stay_type,
        start_date as stay_start_date,
        start_date as stay_end_date
    from contacts
    where patient_type_code = '2'
)

select * from admissions
union all
select * from outpatient_visits
union all
select * from emergency_visits
