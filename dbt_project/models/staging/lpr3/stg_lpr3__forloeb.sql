with source as (
    select * from {{ source('lpr3', 'forloeb') }}
    {{- only_pending_months() }}
)

select
    trim(dw_ek_forloeb) as course_key,
    trim(cpr_encrypted) as person_key,
    dato_start as start_date,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
