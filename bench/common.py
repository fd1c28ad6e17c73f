"""What several benches share: running the sides of a comparison in turn."""

import statistics

import click


def alternate_sides(sides, repeats, unit):
    """Run each of `sides` ({name: () -> rate}) once per repeat, in turn, so that load from elsewhere hits them
    alike; print each rate; return {name: [rate per repeat]}."""
    width = max(map(len, sides))
    rates = {name: [] for name in sides}
    for repeat in range(repeats):
        for name, side in sides.items():
            rates[name].append(side())
            click.echo(f"{name:{width}s} repeat {repeat + 1}   {rates[name][-1]:9.3f} {unit}")
    return rates


def medians(rates):
    return {name: statistics.median(values) for name, values in rates.items()}
