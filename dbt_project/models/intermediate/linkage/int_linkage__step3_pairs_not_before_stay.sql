{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ delete_relinked('sent_date', 'plans_from') }}"
) }}
-- Incremental from a moment: an incremental refresh rebuilds the rows of plans sent
-- on or after int_linkage__relinked_from.plans_from (docs/incremental-refresh.md,
-- macros/incremental_by_time.sql).
-- depends_on: {{ ref('int_linkage__relinked_from') }}
-- Step 3 (seed 003, "Trin 3"): drop pairs where the plan was sent before the stay. For an
-- outpatient visit: sent date before the visit date (delay < 0). For an admission: sent
-- date before the admission date. A plan sent during an admission keeps its pair with a
-- negative delay (seed 003 Figur 4 and 7: "negative days only for admissions").
with pairs as (
    select * from {{ ref('int_linkage__step2_plan_stay_pairs') }}
    {% if is_incremental() %}
        where {{ relinked('sent_date', 'plans_from') }}
    {% endif %}
)

select *
from pairs
where
    (stay_type = 'outpatient' and delay_days >= 0)
    or (stay_type = 'admission' and sent_date >= stay_start_date)
