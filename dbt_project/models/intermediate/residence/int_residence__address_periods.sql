-- Address periods with a known municipality (docs: the extract contract, cpr/t_adresse): a
-- row covers day D when moved_in_date <= D and (moved_out_date is missing or
-- D < moved_out_date). An address with an unknown municipality code gives no residence
-- (method, product 2 "Where and when"). Rows of one person may overlap: the next step,
-- int_residence__addresses, decides which one is the address on a day.
with addresses as (
    select * from {{ ref('stg_cpr__t_adresse') }}
),

municipalities as (
    select * from {{ ref('municipalities') }}
)

select
    addresses.person_key,
    addresses.municipality_code,
    municipalities.regionskode as region_code,
    addresses.moved_in_date as valid_from,
    addresses.moved_out_date as valid_until,
    addresses.source_row
from addresses
inner join municipalities
    on addresses.municipality_code = municipalities.kommunekode
where
    addresses.moved_out_date is null
    or addresses.moved_out_date > addresses.moved_in_date
