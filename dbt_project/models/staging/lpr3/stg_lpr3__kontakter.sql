with source as (
    select * from {{ source('lpr3', 'kontakter') }}
    {{- only_pending_months() }}
)

select
    trim(dw_ek_kontakt) as contact_key,
    trim(dw_ek_forloeb) as course_key,
    trim(cpr_encrypted) as person_key,
    dato_start as start_date,
    tidspunkt_start as start_time,
    dato_slut as end_date,
    tidspunkt_slut as end_time,
    -- A missing time is midnight: the date alone still places the contact.
    dato_start + coalesce(tidspunkt_start, time '00:00') as started_at,
    dato_slut + coalesce(tidspunkt_slut, time '00:00') as ended_at,
    upper(trim(kontakttype)) as contact_type_code,
    upper(trim(prioritet)) as priority_code,
    trim(sorenhed_ans) as responsible_unit_sor,
    _delivery_month as delivery_month,
    _source_file as source_file,
    _source_row as source_row
from source
