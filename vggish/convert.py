"""python -m vggish.convert vggish_model.ckpt OUT.h5: Google's VGGish checkpoint as a weights file crnn.py loads."""

from pathlib import Path

import click

from vggish.weights import WeightsError, read_slim_checkpoint, write_dtaoo_weights


@click.command()
@click.argument("checkpoint", type=click.Path(path_type=Path))
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def main(checkpoint, output, overwrite):
    """Convert CHECKPOINT, Google's TF-slim VGGish checkpoint (vggish_model.ckpt from the tensorflow/models
    AudioSet VGGish page), into OUTPUT, an h5 file in the layout of DTaoo's
    vggish_audioset_weights_without_fc2.h5 (conv layers only).

    Name OUTPUT vggish/vggish_audioset_weights_without_fc2.h5 to make it crnn.py's default weights.
    """
    if output.exists() and not overwrite:
        raise WeightsError(f"{output} exists; pass --overwrite to replace it")
    write_dtaoo_weights(output, read_slim_checkpoint(checkpoint))
    click.echo(f"wrote {output}")


if __name__ == "__main__":
    main()
