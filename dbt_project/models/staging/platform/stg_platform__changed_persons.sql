with source as (
    select * from {{ source('platform', 'changed_persons') }}
)

select
    change_id,
    person_key,
    register,
    changed_from
from source
