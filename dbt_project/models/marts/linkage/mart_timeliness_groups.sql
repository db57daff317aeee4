-- Timeliness groups of linked plans (seed 003, Figur 9) per analysis year and plan type,
-- nationally, per region and per municipality of residence at the sent date. Plans of a
-- person without a Danish address that day count nationally and under area 'unknown'.
with linked as (
    select * from {{ ref('fct_plans_linked') }}
    where status = 'linked'
),

municipalities as (
    select * from {{ ref('municipalities') }}
),

by_area as (
    select
        sent_year as analysis_year,
        plan_type,
        timeliness_group,
        case
            when grouping(residence_region_code) = 1 then 'national'
            when grouping(residence_municipality_code) = 1 then 'region'
            else 'municipality'
        end as area_level,
        case
            when grouping(residence_region_code) = 1 then '000'
            when grouping(residence_municipality_code) = 1
                then coalesce(residence_region_code, 'unknown')
            else coalesce(residence_municipality_code, 'unknown')
        end as area_code,
        count(*) as plan_count
    from linked
    group by grouping sets (
        (sent_year, plan_type, timeliness_group),
        (sent_year, plan_type, timeliness_group, residence_region_code),
        (
            sent_year, plan_type, timeliness_group, residence_region_code,
            residence_municipality_code
        )
    )
)

select
    by_area.*,
    case
        when by_area.area_level = 'national' then 'Hele landet'
        when by_area.area_level = 'region' then 'Region ' || by_area.area_code
        else coalesce(municipalities.kommunenavn, 'Ukendt')
    end as area_name,
    sum(by_area.plan_count) over (
        partition by by_area.analysis_year, by_area.plan_type, by_area.area_level,
        by_area.area_code
    ) as area_linked_count
from by_area
left join municipalities
    on by_area.area_level = 'municipality' and by_area.area_code = municipalities.kommunekode
