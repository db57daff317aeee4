-- One row per plan that entered product 1, with exactly one status (docs/method.md,
-- "Timeliness group": every plan that enters ends with one), in the order the steps remove
-- plans:
--   not kept by step 1                   -> excluded_duplicate
--   no pair left after steps 2-3         -> excluded_no_stay
--   kept by step 4 but not by step 5     -> excluded_supplement
--   kept by step 5, outside the window   -> excluded_tail
--   kept by step 5, inside the window    -> linked
-- The municipality and region of residence at the sent date come from the CPR history.
with plans as (
    select * from {{ ref('int_plans') }}
),

step1 as (
    select plan_id from {{ ref('int_linkage__step1_one_plan_per_sender_day') }}
),

step2_plans as (
    select plan_id from {{ ref('int_linkage__step2_plan_stay_pairs') }}
    group by plan_id
),

step4 as (
    select plan_id from {{ ref('int_linkage__step4_nearest_stay') }}
),

windowed as (
    select * from {{ ref('int_linkage__timeliness_window') }}
),

residence as (
    select * from {{ ref('int_residence__addresses') }}
),

statuses as (
    select
        plans.plan_id,
        plans.person_key,
        plans.plan_type,
        plans.sent_at,
        plans.sent_date,
        plans.sent_year,
        case
            when step1.plan_id is null then 'excluded_duplicate'
            when step4.plan_id is null then 'excluded_no_stay'
            when windowed.plan_id is null then 'excluded_supplement'
            when not windowed.is_inside_window then 'excluded_tail'
            else 'linked'
        end as status,
        -- Which step removed the plan, for the funnel: 2 = no stay in Y-1 or Y at all,
        -- 3 = every pair was sent before its stay.
        case
            when step1.plan_id is null then 1
            when step2_plans.plan_id is null then 2
            when step4.plan_id is null then 3
            when windowed.plan_id is null then 5
        end as removed_at_step,
        windowed.stay_key,
        windowed.stay_type,
        windowed.stay_start_date,
        windowed.stay_end_date,
        windowed.delay_days,
        windowed.timeliness_group
    from plans
    left join step1 on plans.plan_id = step1.plan_id
    left join step2_plans on plans.plan_id = step2_plans.plan_id
    left join step4 on plans.plan_id = step4.plan_id
    left join windowed on plans.plan_id = windowed.plan_id
)

select
    statuses.*,
    residence.municipality_code as residence_municipality_code,
    residence.region_code as residence_region_code
from statuses
left join residence
    on
        statuses.person_key = residence.person_key
        and {{ resident_on('statuses.sent_date') }}
