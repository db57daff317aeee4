-- Seed 000's table 1 as published, under SDS's disclosure control (docs/method.md, Product 2
-- "Disclosure control"; seed 000's note):
--   a count of 0 is an empty cell; 1-4 is '<5';
--   a municipality's "I alt" is its true sum rounded DOWN to a multiple of 5 ('<5' for 1-4,
--   empty for 0) - seed 000 obeys this everywhere, e.g. Allerød 2016: 548+0+104=652 -> 650;
--   "Hele landet" is exact, unsuppressed and unrounded (0 is empty, as in every row).
-- Rows: "Hele landet" first, then the 98 municipalities and Christiansø in seed 000's order.
with cells as (
    select * from {{ ref('int_table1__true_counts') }}
)

select
    area_order,
    area_code,
    area_name,
    row_type,
    case row_type
        when 'i_alt' then 1
        when 'almen' then 2
        when 'rehab_spec' then 3
        when 'specialiseret' then 4
    end as row_order,
    year,
    case
        when true_count = 0 then ''
        when area_code = '000' then cast(true_count as varchar)
        when true_count <= 4 then '<5'
        when row_type = 'i_alt' then cast(true_count // 5 * 5 as varchar)
        else cast(true_count as varchar)
    end as value
from cells
