{#- Periods [start, end) of one partition that overlap the next one; end null = open. -#}
{% test no_overlapping_periods(model, partition_by, start_column, end_column) %}
with ordered as (
    select
        {{ partition_by }} as part,
        {{ start_column }} as period_start,
        {{ end_column }} as period_end,
        lead({{ start_column }}) over (
            partition by {{ partition_by }} order by {{ start_column }}
        ) as next_start
    from {{ model }}
)
select part from ordered
where next_start is not null and (period_end is null or period_end > next_start)
{% endtest %}
