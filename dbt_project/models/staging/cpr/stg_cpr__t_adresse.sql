with source as (
    select * from {{ source('cpr', 't_adresse') }}
)

select
    trim(cpr_encrypted) as person_key,
    trim(c_kom) as municipality_code,
    d_tilflyt_dato as moved_in_date,
    d_fraflyt_dato as moved_out_date,
    _source_file as source_file,
    _source_row as source_row
from source
