-- The linkage funnel per analysis year and plan type (docs/method.md, Product 1 outputs): plans
-- in, the number and share removed at each step and by the window. SDS reports under 2 %
-- removed by steps 1-5 and about 5 % more by the window for almen plans sent in 2018
-- (seed 003). Internal layer: the counts are not disclosure-controlled.
with plans as (
    select * from {{ ref('fct_plans_linked') }}
),

counts as (
    select
        sent_year as analysis_year,
        plan_type,
        count(*) as plans_in,
        count(*) filter (where removed_at_step = 1) as removed_step1_duplicate,
        count(*) filter (where removed_at_step = 2) as removed_step2_no_stay_in_years,
        count(*) filter (where removed_at_step = 3) as removed_step3_sent_before_stay,
        count(*) filter (where removed_at_step = 5) as removed_step5_supplement,
        count(*) filter (where status = 'excluded_tail') as removed_window_tail,
        count(*) filter (where status = 'linked') as linked,
        count(*) filter (where timeliness_group = 'timely') as linked_timely
    from plans
    group by sent_year, plan_type
)

select
    *,
    removed_step1_duplicate + removed_step2_no_stay_in_years
    + removed_step3_sent_before_stay + removed_step5_supplement as removed_steps_1_5,
    round(
        (
            removed_step1_duplicate + removed_step2_no_stay_in_years
            + removed_step3_sent_before_stay + removed_step5_supplement
        ) / plans_in, 4
    ) as share_removed_steps_1_5,
    round(removed_window_tail / plans_in, 4) as share_removed_window,
    round(linked / plans_in, 4) as share_linked,
    round(linked_timely / nullif(linked, 0), 4) as share_linked_timely
from counts
