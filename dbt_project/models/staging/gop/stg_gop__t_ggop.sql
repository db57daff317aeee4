with source as (
    select * from {{ source('gop', 't_ggop') }}
    {{- only_pending_months() }}
)

select
    trim(brev_id) as plan_id,
    trim(cpr_encrypted) as person_key,
    cast(afsendt_tidspunkt as date) as sent_date,
    afsendt_tidspunkt as sent_at,
    trim(afsender_sor) as sender_code,
    trim(modtager_kommunekode) as receiving_municipality_code,
    'G-GOP' as gop_standard,
    upper(trim(plantype)) as gop_type_code,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
