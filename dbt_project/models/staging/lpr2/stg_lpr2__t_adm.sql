with source as (
    select * from {{ source('lpr2', 't_adm') }}
    {{- only_pending_months() }}
)

select
    trim(k_recnum) as contact_key,
    trim(v_cpr_encrypted) as person_key,
    trim(c_pattype) as patient_type_code,
    d_inddto as start_date,
    d_uddto as end_date,
    v_indtime as admission_hour,
    trim(c_sgh) as hospital_code,
    trim(c_afd) as department_code,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
