with source as (
    select * from {{ source('platform', 'deliveries') }}
)

select
    table_key,
    delivery_month,
    source_file,
    row_count,
    sha256,
    loaded_at
from source
