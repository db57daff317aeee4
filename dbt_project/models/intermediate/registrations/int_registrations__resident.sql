-- Where and when (docs/method.md, Product 2): each typed registration belongs to the calendar
-- year of its date and to the person's municipality of residence on that date. A
-- registration on a day without a Danish address (or only one with an unknown municipality
-- code) is dropped here, before the 14-day rule.
with registrations as (
    select * from {{ ref('int_registrations__typed') }}
),

residence as (
    select * from {{ ref('int_residence__addresses') }}
)

select
    registrations.*,
    year(registrations.registration_date) as registration_year,
    residence.municipality_code,
    residence.region_code
from registrations
inner join residence
    on
        registrations.person_key = residence.person_key
        and {{ resident_on('registrations.registration_date') }}
