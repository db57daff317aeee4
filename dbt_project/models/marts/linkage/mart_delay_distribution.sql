-- The delay distribution per analysis year, plan type and stay type (seed 003, Figur 7-8):
-- plans kept by step 5, before the window, by whole days from stay end to sending.
-- Negative days exist only for admissions (plans sent during the admission).
with plans as (
    select * from {{ ref('fct_plans_linked') }}
    where status in ('linked', 'excluded_tail')
)

select
    sent_year as analysis_year,
    plan_type,
    stay_type,
    delay_days,
    count(*) as plan_count,
    count(*) filter (where status = 'linked') as inside_window_count
from plans
group by sent_year, plan_type, stay_type, delay_days
