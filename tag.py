"""Tag your own audio with the trained system: mood and theme scores per file from the fused models.

    python tag.py -m ./fusion song.mp3 more-songs/ -o tags.tsv --top 5
"""

import sys
from pathlib import Path

import click

from augli.tagging import CROP_RULES
from augli.tagging_output import FORMATTERS
from augli.workers import DEFAULT_JOBS

THRESHOLDS = ("validation", "none")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("audio", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-m", "--models", "model_paths", multiple=True, required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A trained experiment folder (-ebp), or a folder whose every predictions.npy-bearing folder "
                   "below is a model (as fusion.py finds them). Repeatable.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the tags here (full tag names). Default: print them (short tag names).")
@click.option("--format", "output_format", type=click.Choice(list(FORMATTERS)), default="tsv", show_default=True)
@click.option("--top", type=click.IntRange(min=0), default=5, show_default=True,
              help="Tags listed per file, by score; tags decided present are listed too.")
@click.option("--thresholds", type=click.Choice(THRESHOLDS), default="validation", show_default=True,
              help="validation: per-tag thresholds tuned on the models' fused validation predictions "
                   "(fusion.py --thresholds validation); none: scores only.")
@click.option("-v", "--val-tsv", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Validation split TSV for the thresholds. Default: the first model's validation-truth.npy (or, "
                   "in a folder written before it was kept, the validation split the model records).")
@click.option("--crops", type=click.Choice(CROP_RULES), default="middle", show_default=True,
              help="middle: each model's evaluation input (the CRNN's middle crop, the DeepSpectrum extraction's "
                   "excerpt); all: the mean over every window of the whole track.")
@click.option("--vgg16-weights", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="A VGG16 weights file, or a folder holding one, to try when a DeepSpectrum model's weights are not "
                   "at their recorded path or in Keras' cache ($KERAS_HOME/models, by default ~/.keras/models); found "
                   "by the sha256 the extraction recorded. Repeatable.")
@click.option("-np", "--number-of-processes", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
              help="Worker processes that decode and draw while the networks run.")
@click.option("--taggram", "taggram_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also draw one PNG per file here: the fused tag scores over the track's windows (tags x time).")
@click.option("--skip-bad", is_flag=True, help="Exit 0 even if unreadable or too short files were skipped.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def main(audio, model_paths, output, output_format, top, thresholds, val_tsv, crops, vgg16_weights,
         number_of_processes, taggram_dir, skip_bad, quiet):
    """Score AUDIO (files, or folders searched for mp3, ogg, flac, wav) with every model, fuse by the mean, decide."""
    from augli import tagging, tagging_inputs, tagging_models, tagging_output  # TensorFlow starts only for a real run
    from augli.devices import announce, take_devices
    from augli.files import write_text

    files = tagging_inputs.audio_files(audio)
    computing = take_devices()[1]
    models, vgg16_networks = tagging_models.load_models(model_paths, vgg16_weights)
    cutoffs = tagging.decision_thresholds(models, val_tsv) if thresholds == "validation" else None
    announce(computing, err=True)
    taggram = None
    if taggram_dir is not None:
        from augli.plots import plot_taggram

        pictures = tagging_output.taggram_paths(files, taggram_dir)

        def taggram(path, step_s, scores, seconds):
            plot_taggram(pictures[path], models[0].tags, scores, step_s, seconds)

    results, skipped = tagging.tag_files(models, vgg16_networks, files, cutoffs, crops, number_of_processes, quiet,
                                         taggram)
    formatter = FORMATTERS[output_format]
    if output is None:
        click.echo(formatter(results, models[0].tags, top, short=True), nl=False)
    else:
        write_text(output, formatter(results, models[0].tags, top))
        click.echo(f"tagged {len(results)} file(s) with {len(models)} model(s) into {output}", err=True)
    for line in skipped:
        click.echo(f"SKIPPED {line}", err=True)
    if skipped and not skip_bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
