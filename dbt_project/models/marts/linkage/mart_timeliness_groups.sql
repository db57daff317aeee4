-- Timeliness groups of linked plans (seed 003, Figur 9) per analysis year and plan type,
-- nationally, per region and per municipality of residence at the sent date. Plans of a
-- person without a Danish address that day count nationally and under area 'unknown'.
with linked as (
    select
        sent_year as analysis_year,
        plan_type,
        timeliness_group,
        coalesce(residence_region_code, 'unknown') as region_code,
        coalesce(residence_municipality_code, 'unknown') as municipality_code
    from {{ ref('fct_plans_linked') }}
    where status = 'linked'
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

by_area as (
    select
        analysis_year,
        plan_type,
        timeliness_group,
        'national' as area_level,
        '000' as area_code,
        'Hele landet' as area_name,
        count(*) as plan_count
    from linked
    group by analysis_year, plan_type, timeliness_group

    union all

    select
        analysis_year,
        plan_type,
        timeliness_group,
        'region' as area_level,
        region_code as area_code,
        'Region ' || region_code as area_name,
        count(*) as plan_count
    from linked
    group by analysis_year, plan_type, timeliness_group, region_code

    union all

    select
        linked.analysis_year,
        linked.plan_type,
        linked.timeliness_group,
        'municipality' as area_level,
        linked.municipality_code as area_code,
        coalesce(any_value(municipalities.kommunenavn), 'Ukendt') as area_name,
        count(*) as plan_count
    from linked
    left join municipalities
        on linked.municipality_code = municipalities.kommunekode
    group by
        linked.analysis_year, linked.plan_type, linked.timeliness_group,
        linked.municipality_code
)

select
    *,
    sum(plan_count) over (
        partition by analysis_year, plan_type, area_level, area_code
    ) as area_linked_count
from by_area
