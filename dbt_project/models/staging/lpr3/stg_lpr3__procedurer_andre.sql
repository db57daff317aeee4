with source as (
    select * from {{ source('lpr3', 'procedurer_andre') }}
    {{- only_pending_months() }}
)

select
    trim(procedureregistrering_id) as procedure_registration_key,
    trim(dw_ek_kontakt) as contact_key,
    trim(dw_ek_forloeb) as course_key,
    -- docs/method.md, "Valid codes": codes are compared after trimming spaces and upper-casing.
    upper(trim(procedurekode)) as procedure_code,
    procedurekode as procedure_code_as_delivered,
    upper(trim(proceduretype)) as procedure_type_code,
    dato_start as procedure_date,
    tidspunkt_start as procedure_time,
    trim(sorenhed_pro) as unit_sor,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
