-- The 14-day rule (docs/method.md, Product 2; seed 000's note "one plan/start code per 14 days
-- per person"): per person and type, registrations are taken in date order; one counts when
-- it is the first, or at least 14 days after the last one that counted. The rule runs over
-- the person's whole history, across year ends [decision]. "The last one that counted" makes
-- it sequential, so it is a recursive walk down each person's ordered registrations.
with recursive ordered as (
    select
        *,
        row_number() over (
            partition by person_key, plan_type
            order by registration_date, registration_key
        ) as sequence_number
    from {{ ref('int_registrations__resident') }}
),

walked as (
    select
        person_key,
        plan_type,
        sequence_number,
        registration_date as last_counted_date,
        true as is_counted
    from ordered
    where sequence_number = 1

    union all

    select
        ordered.person_key,
        ordered.plan_type,
        ordered.sequence_number,
        case
            when ordered.registration_date >= walked.last_counted_date + 14
                then ordered.registration_date
            else walked.last_counted_date
        end as last_counted_date,
        ordered.registration_date >= walked.last_counted_date + 14 as is_counted
    from walked
    inner join ordered
        on
            walked.person_key = ordered.person_key
            and walked.plan_type = ordered.plan_type
            and walked.sequence_number + 1 = ordered.sequence_number
)

select
    ordered.*,
    walked.is_counted
from ordered
inner join walked
    on
        ordered.person_key = walked.person_key
        and ordered.plan_type = walked.plan_type
        and ordered.sequence_number = walked.sequence_number
