with source as (
    select * from {{ source('platform', 'refreshes') }}
)

select
    change_id,
    logic_fingerprint,
    full_refresh,
    refreshed_at
from source
