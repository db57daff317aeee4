-- Plans of both GOP standards in one vocabulary (seed 003, "Elektronisk kommunikation":
-- D-GOP until May 2016, G-GOP after; the base fields are the same). The analysis year is
-- the calendar year of the sent date (docs/method.md, "Product 1").
with plans as (
    select
        plan_id,
        person_key,
        sender_code,
        sent_at,
        sent_date,
        receiving_municipality_code,
        gop_standard,
        gop_type_code
    from {{ ref('stg_gop__t_dgop') }}
    union all
    select
        plan_id,
        person_key,
        sender_code,
        sent_at,
        sent_date,
        receiving_municipality_code,
        gop_standard,
        gop_type_code
    from {{ ref('stg_gop__t_ggop') }}
),

plan_types as (
    select * from {{ ref('gop_plan_types') }}
)

select
    plans.plan_id,
    plans.person_key,
    plans.sender_code,
    plans.sent_at,
    plans.sent_date,
    year(plans.sent_date) as sent_year,
    plan_types.plan_type,
    plans.receiving_municipality_code,
    plans.gop_standard
from plans
-- A plan whose type code is unknown is quarantined (fct_quarantined_rows), not analysed.
inner join plan_types
    on
        plans.gop_standard = plan_types.gop_standard
        and plans.gop_type_code = plan_types.gop_type_code
