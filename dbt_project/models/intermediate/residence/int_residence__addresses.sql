-- Where a person lives, as periods that never overlap (docs: the extract contract,
-- cpr/t_adresse): on a day covered by several address rows of one person, the row with the
-- latest moved-in date is the address; on a tie, the smaller municipality code [decision].
-- A person's days are cut at every moved-in and moved-out date of their rows; each piece
-- takes the row that wins on it. A row that ends can leave an older, still open row the
-- address again.
with periods as (
    select * from {{ ref('int_residence__address_periods') }}
),

boundaries as (
    select
        person_key,
        valid_from as boundary
    from periods
    union
    select
        person_key,
        valid_until as boundary
    from periods
    where valid_until is not null
),

pieces as (
    select
        person_key,
        boundary as piece_from,
        lead(boundary) over (partition by person_key order by boundary) as piece_until
    from boundaries
),

covering as (
    select
        pieces.person_key,
        pieces.piece_from,
        pieces.piece_until,
        periods.municipality_code,
        periods.region_code,
        periods.valid_from,
        periods.source_row
    from pieces
    inner join periods
        on
            pieces.person_key = periods.person_key
            and pieces.piece_from >= periods.valid_from
            and coalesce(pieces.piece_until, date '9999-12-31')
            <= coalesce(periods.valid_until, date '9999-12-31')
)

select
    person_key,
    municipality_code,
    region_code,
    piece_from as valid_from,
    piece_until as valid_until,
    source_row
from covering
qualify row_number() over (
    partition by person_key, piece_from
    order by valid_from desc, municipality_code asc, source_row asc
) = 1
