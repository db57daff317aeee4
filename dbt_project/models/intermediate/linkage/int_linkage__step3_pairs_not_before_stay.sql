{{ config(materialized='view') }}
-- A view, not a table: DuckDB fuses steps 2-4 into one query and never writes the pairs
-- (two national years: 6.7 M pairs, 18 s of writing steps 2 and 3 as tables; bench/
-- national.py). Step 4 is the table, incremental from a moment; its filter on the plans'
-- sent date and the stays' end date reaches through this view into both inputs.
-- Step 3 (seed 003, "Trin 3"): drop pairs where the plan was sent before the stay. For an
-- outpatient visit: sent date before the visit date (delay < 0). For an admission: sent
-- date before the admission date. A plan sent during an admission keeps its pair with a
-- negative delay (seed 003 Figur 4 and 7: "negative days only for admissions").
with pairs as (
    select * from {{ ref('int_linkage__step2_plan_stay_pairs') }}
)

select *
from pairs
where
    (stay_type = 'outpatient' and delay_days >= 0)
    or (stay_type = 'admission' and sent_date >= stay_start_date)
