-- Seed 000's table 1 as published, under SDS's disclosure control (docs/method.md, Product 2
-- "Disclosure control"; seed 000's note):
--   a count of 0 is an empty cell; 1-4 is '<5';
--   a municipality's "I alt" is its true sum rounded DOWN to a multiple of 5 ('<5' for 1-4,
--   empty for 0) - seed 000 obeys this everywhere, e.g. Allerød 2016: 548+0+104=652 -> 650;
--   "Hele landet" is exact, unsuppressed and unrounded (0 is empty, as in every row).
-- Rows: "Hele landet" first, then the 98 municipalities and Christiansø in seed 000's order.
-- Row order: "I alt" first, then the plan types in the order of the seed plan_types.
with cells as (
    select * from {{ ref('int_table1__true_counts') }}
),

plan_types as (
    select * from {{ ref('plan_types') }}
)

select
    cells.area_order,
    cells.area_code,
    cells.area_name,
    cells.row_type,
    case
        when cells.row_type = 'i_alt' then 1 else plan_types.table1_row_order
    end as row_order,
    cells.year,
    case
        when cells.true_count = 0 then ''
        when cells.area_code = '000' then cast(cells.true_count as varchar)
        when cells.true_count <= 4 then '<5'
        when cells.row_type = 'i_alt' then cast(cells.true_count // 5 * 5 as varchar)
        else cast(cells.true_count as varchar)
    end as value
from cells
left join plan_types on cells.row_type = plan_types.plan_type
