-- A quality figure of the CPR snapshot (docs: the extract contract, cpr/t_adresse): rows
-- of one person that overlap an earlier row of theirs. Overlaps are normal input (CPR
-- corrections leave old periods open), resolved by int_residence__addresses; their number
-- is reported, never a reason to refuse the snapshot. Counts of the whole country only.
with periods as (
    select * from {{ ref('int_residence__address_periods') }}
),

ordered as (
    select
        person_key,
        valid_from,
        max(coalesce(valid_until, date '9999-12-31')) over (
            partition by person_key
            order by valid_from, source_row
            rows between unbounded preceding and 1 preceding
        ) as earlier_until
    from periods
)

select
    count(*) as address_rows,
    sum(case when earlier_until > valid_from then 1 else 0 end) as overlapping_rows,
    count(distinct case when earlier_until > valid_from then person_key end)
        as persons_with_overlaps
from ordered
