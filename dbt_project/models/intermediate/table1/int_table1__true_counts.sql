-- The true counts of seed 000's table 1 (docs/method.md, Product 2 "Counting"): distinct persons
-- with a counted registration per municipality, type and year; nationally each person once
-- per type and year; "I alt" the sum of the three type cells, not distinct persons across
-- types. Every area x row type x year of the run's years, zeros included. INTERNAL: these
-- unsuppressed counts never leave the platform; mart_table1_published is what is published.
with counted as (
    select * from {{ ref('int_registrations__fourteen_day_rule') }}
    where is_counted
),

areas as (
    select distinct
        area_order,
        area_code,
        area_name
    from {{ ref('seed000_published_table') }}
),

plan_types as (
    select plan_type from {{ ref('plan_types') }}
),

run_years as (
    -- The run's years: every year with a typed registration (docs/extract-contract.md, table1:
    -- "every area x row_type x year of the run's years").
    select year(registration_date) as year
    from {{ ref('int_registrations__typed') }}
    group by year(registration_date)
),

municipal as (
    select
        municipality_code as area_code,
        plan_type,
        registration_year as year,
        count(distinct person_key) as persons
    from counted
    group by municipality_code, plan_type, registration_year
),

national as (
    select
        '000' as area_code,
        plan_type,
        registration_year as year,
        count(distinct person_key) as persons
    from counted
    group by plan_type, registration_year
),

type_cells as (
    select
        areas.area_order,
        areas.area_code,
        areas.area_name,
        plan_types.plan_type as row_type,
        run_years.year,
        coalesce(municipal.persons, national.persons, 0) as true_count
    from areas
    cross join plan_types
    cross join run_years
    left join municipal
        on
            areas.area_code = municipal.area_code
            and plan_types.plan_type = municipal.plan_type
            and run_years.year = municipal.year
    left join national
        on
            areas.area_code = national.area_code
            and plan_types.plan_type = national.plan_type
            and run_years.year = national.year
),

totals as (
    select
        area_order,
        area_code,
        area_name,
        'i_alt' as row_type,
        year,
        sum(true_count) as true_count
    from type_cells
    group by area_order, area_code, area_name, year
)

select * from totals
union all
select * from type_cells
