with source as (
    select * from {{ source('lpr3', 'forloebsmarkoerer') }}
    {{- only_pending_months() }}
)

select
    trim(dw_ek_forloeb) as course_key,
    upper(trim(markoer)) as marker_code,
    dato_markoer as marker_date,
    tidspunkt_markoer as marker_time,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
