-- Hele landet counts each person once per type and year, so no municipal cell of the same
-- row type and year can exceed it (docs/method.md, "Counting").
with published as (
    select * from {{ ref('mart_table1_published') }}
),

national as (
    select row_type, year, cast(nullif(value, '') as integer) as national_value
    from published
    where area_code = '000'
)

select published.*
from published
inner join national
    on published.row_type = national.row_type and published.year = national.year
where
    published.area_code <> '000'
    and regexp_full_match(published.value, '[0-9]+')
    and cast(published.value as integer) > coalesce(national.national_value, 0)
