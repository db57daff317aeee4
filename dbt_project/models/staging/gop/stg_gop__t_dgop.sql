with source as (
    select * from {{ source('gop', 't_dgop') }}
    {{- only_pending_months() }}
)

select
    trim(k_brevid) as plan_id,
    trim(v_cpr_encrypted) as person_key,
    d_afsendt as sent_date,
    -- A missing time is midnight, so the plan still has a sent timestamp to order by.
    d_afsendt + coalesce(v_afsendt_tid, time '00:00') as sent_at,
    trim(c_afsender) as sender_code,
    trim(c_modtager_kom) as receiving_municipality_code,
    'D-GOP' as gop_standard,
    upper(trim(c_goptype)) as gop_type_code,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
