-- docs/extract-contract.md, table1: every area x row_type x year of the run's years appears once,
-- including empty cells: 100 areas (Hele landet + 99) x 4 row types per year.
select year, count(*) as cells
from {{ ref('mart_table1_published') }}
group by year
having count(*) <> 100 * 4
