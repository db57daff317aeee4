with source as (
    select * from {{ source('lpr2', 't_bes') }}
    {{- only_pending_months() }}
)

select
    trim(v_recnum) as contact_key,
    d_ambdto as visit_date,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
