"""prepare_audio.py and its library: decode, downmix, resample, verify, resume, report."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from augli import audio
from augli.audio import SAMPLE_RATE_HZ, downmix, find_audio, load_mono, wav_name, wav_path, write_wav
from augli.checksums import read_sha256_list, verify
from augli.conversion import plan, prepare_audio, split_track_paths
from augli.errors import AugliError
from augli.workers import DEFAULT_JOBS
from prepare_audio import main

MP3_FRAME_SAMPLES = 1152  # one MPEG-1 layer III frame: the most an mp3 decoder may add or drop
TSV_HEADER = "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\r\n"

# relative path -> (sample rate, channels, seconds, sine frequency); mp3, ogg, flac and wav,
# mono and stereo, 44.1, 22.05 and 16 kHz, in nested folders.
TRACKS = {
    "48/948.mp3": (44100, 2, 1.0, 440.0),
    "48/deep/1048.ogg": (22050, 1, 0.5, 1000.0),
    "49/1049.flac": (44100, 1, 0.75, 2000.0),
    "50/1050.wav": (16000, 2, 0.5, 300.0),
}


def sine(frequency, rate, seconds, amplitude=0.5):
    time = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * time)).astype(np.float32)


def write_track(path, rate, channels, seconds, frequency):
    path.parent.mkdir(parents=True, exist_ok=True)
    mono = sine(frequency, rate, seconds)
    soundfile.write(path, np.stack([mono] * channels, axis=1), rate)


@pytest.fixture
def source(tmp_path):
    root = tmp_path / "audio"
    for name, spec in TRACKS.items():
        write_track(root / name, *spec)
    return root


def sha256_list(root, names, corrupt=()):
    """MTG's format: `<hash> <path>` per line; the names in `corrupt` get a wrong hash."""
    lines = []
    for name in names:
        digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
        lines.append(f"{'0' * 64 if name in corrupt else digest} {name}\n")
    return "".join(lines)


def files_below(root):
    return sorted(str(path.relative_to(root)) for path in Path(root).rglob("*") if path.is_file())


def dominant_frequency(mono, rate):
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return np.argmax(spectrum) * rate / len(mono)


def test_every_format_becomes_16k_mono_pcm16_with_its_length_and_sine(source, tmp_path):
    tally = prepare_audio(source, tmp_path / "wav", jobs=1)

    assert (tally.converted, tally.already_done, tally.failures) == (4, 0, [])
    assert files_below(tmp_path / "wav") == ["48/948.wav", "48/deep/1048.wav", "49/1049.wav", "50/1050.wav"]
    for name, (rate, _, seconds, frequency) in TRACKS.items():
        info = soundfile.info(wav_path(tmp_path / "wav", name))
        assert (info.samplerate, info.channels, info.format, info.subtype) == (16000, 1, "WAV", "PCM_16")
        expected_frames = round(seconds * rate) * SAMPLE_RATE_HZ / rate
        assert abs(info.frames - expected_frames) <= MP3_FRAME_SAMPLES * SAMPLE_RATE_HZ / rate
        converted, _ = soundfile.read(wav_path(tmp_path / "wav", name), dtype="float32")
        assert dominant_frequency(converted, SAMPLE_RATE_HZ) == pytest.approx(frequency, abs=SAMPLE_RATE_HZ / len(converted))
        middle = converted[len(converted) // 4 : -len(converted) // 4]
        assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_downmix_averages_the_channels():
    stereo = np.array([[1.0, 3.0], [2.0, -2.0], [0.5, 0.5]], dtype=np.float32)
    mono = downmix(stereo)
    assert mono.dtype == np.float32
    np.testing.assert_array_equal(mono, [2.0, 0.0, 0.5])


def test_left_only_stereo_halves_in_the_mix(tmp_path):
    left = sine(500.0, 22050, 0.5, amplitude=0.8)
    soundfile.write(tmp_path / "left.wav", np.stack([left, np.zeros_like(left)], axis=1), 22050)
    mono, rate = load_mono(tmp_path / "left.wav")
    assert (rate, mono.dtype, mono.shape) == (16000, np.float32, (8000,))
    assert np.sqrt(np.mean(mono[2000:6000] ** 2)) == pytest.approx(0.4 / np.sqrt(2), rel=0.01)


def test_a_16k_mono_wav_comes_back_sample_for_sample(tmp_path):
    original = np.round(sine(300.0, 16000, 0.25) * 32767).astype(np.int16)
    soundfile.write(tmp_path / "in.wav", original, 16000, subtype="PCM_16")
    mono, _ = load_mono(tmp_path / "in.wav")
    write_wav(tmp_path / "out.wav", mono)
    np.testing.assert_array_equal(soundfile.read(tmp_path / "out.wav", dtype="int16")[0], original)


def test_load_mono_keeps_the_native_rate_when_asked(tmp_path):
    write_track(tmp_path / "t.ogg", 22050, 2, 0.5, 440.0)
    mono, rate = load_mono(tmp_path / "t.ogg", sample_rate=None)
    assert (rate, mono.shape) == (22050, (11025,))


def test_wav_names_follow_the_tsv_path_and_drop_the_low_quality_mark():
    assert wav_name("48/948.mp3") == "48/948.wav"
    assert wav_name("00/1009600.low.mp3") == "00/1009600.wav"
    assert wav_name("a/b/x.ogg") == "a/b/x.wav"
    assert wav_path("MEDIAEVAL19/wav", "48/948.mp3") == Path("MEDIAEVAL19/wav/48/948.wav")


def test_find_audio_skips_hidden_and_non_audio_files(source):
    (source / "48" / ".948.abc.part").write_bytes(b"left by a killed run")
    (source / "48" / "._948.mp3").write_bytes(b"macOS metadata")
    (source / "48" / "notes.txt").write_text("not audio")
    (source / ".cache").mkdir()
    write_track(source / ".cache" / "x.wav", 16000, 1, 0.1, 100.0)
    assert find_audio(source) == sorted(TRACKS)


def test_checksums_verify_each_source_and_a_mismatch_is_not_converted(source, tmp_path):
    checksums = tmp_path / "sha256_tracks.txt"
    checksums.write_text(sha256_list(source, TRACKS, corrupt={"49/1049.flac"}))
    tally = prepare_audio(source, tmp_path / "wav", checksum_file=checksums, jobs=1)

    actual = hashlib.sha256((source / "49/1049.flac").read_bytes()).hexdigest()
    assert tally.failures == [f"{source / '49/1049.flac'} fails its checksum: sha256 is {actual}, the list says {'0' * 64}"]
    assert tally.converted == 3
    assert files_below(tmp_path / "wav") == ["48/948.wav", "48/deep/1048.wav", "50/1050.wav"]


def test_a_source_missing_from_the_checksum_list_fails(source, tmp_path):
    checksums = tmp_path / "sha256_tracks.txt"
    checksums.write_text(sha256_list(source, ["48/948.mp3", "48/deep/1048.ogg", "49/1049.flac"]))
    tally = prepare_audio(source, tmp_path / "wav", checksum_file=checksums, jobs=1)
    assert tally.failures == [f"{source / '50/1050.wav'}: not in the checksum list {checksums}"]
    assert tally.converted == 3


def test_checksum_lists_are_parsed_strictly(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(f"{'AB' * 32} 00/1009600.low.mp3\n\n{'cd' * 32} 63/1159663.mp3\n")
    assert read_sha256_list(good) == {"00/1009600.low.mp3": "ab" * 32, "63/1159663.mp3": "cd" * 32}

    bad = tmp_path / "bad.txt"
    bad.write_text(f"{'ab' * 32} 00/1.mp3\nabc 00/2.mp3\n")
    with pytest.raises(AugliError, match=r"^.*bad\.txt line 2: expected '<64 hex digits> <path>', found 'abc 00/2.mp3'$"):
        read_sha256_list(bad)
    bad.write_text(f"{'ab' * 32} 00/1.mp3\n{'cd' * 32} 00/1.mp3\n")
    with pytest.raises(AugliError, match=r"bad\.txt line 2: 00/1\.mp3 is listed twice with different checksums$"):
        read_sha256_list(bad)
    bad.write_text("\n")
    with pytest.raises(AugliError, match=r"checksum list .*bad\.txt is empty$"):
        read_sha256_list(bad)
    bad.write_bytes(b"\xff\xfe not text")
    with pytest.raises(AugliError, match=r"^cannot read checksum list .*bad\.txt: 'utf-8' codec can't decode byte 0xff"):
        read_sha256_list(bad)
    with pytest.raises(AugliError, match=r"fails its checksum"):
        verify(good, "0" * 64)


def test_a_second_run_converts_only_what_the_first_left(source, tmp_path):
    wav = tmp_path / "wav"
    prepare_audio(source, wav, jobs=1)
    (wav / "48/deep/1048.wav").unlink()
    (wav / "48/948.wav").write_bytes(b"complete, so not touched again")

    tally = prepare_audio(source, wav, jobs=1)

    assert (tally.converted, tally.already_done, tally.failures) == (1, 3, [])
    assert (wav / "48/948.wav").read_bytes() == b"complete, so not touched again"
    assert soundfile.info(wav / "48/deep/1048.wav").frames == 8000


def test_an_interrupted_run_leaves_no_truncated_wav_and_resumes(source, tmp_path, monkeypatch):
    real_write = soundfile.write
    seen_while_writing = []

    def write_half_then_interrupt(handle, data, *args, **kwargs):
        real_write(handle, data[: len(data) // 2], *args, **kwargs)
        handle.flush()
        seen_while_writing.append(files_below(tmp_path / "wav"))
        if len(seen_while_writing) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(audio.soundfile, "write", write_half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        prepare_audio(source, tmp_path / "wav", jobs=1)
    finished, temporary = seen_while_writing[1]
    assert finished == "48/948.wav"
    assert temporary.startswith("48/deep/.1048.") and temporary.endswith(".part")
    assert files_below(tmp_path / "wav") == ["48/948.wav"]

    monkeypatch.undo()
    tally = prepare_audio(source, tmp_path / "wav", jobs=1)
    assert (tally.converted, tally.already_done) == (3, 1)


def test_split_files_restrict_the_conversion_and_find_low_quality_mp3s(source, tmp_path):
    (source / "48/948.mp3").rename(source / "48/948.low.mp3")
    tsv = tmp_path / "autotagging_moodtheme-test.tsv"
    tsv.write_text(
        TSV_HEADER
        + "track_948\tartist_1\talbum_1\t48/948.mp3\t1.0\tmood/theme---happy\r\n"
        + "track_1049\tartist_2\talbum_2\t49/1049.flac\t0.75\tmood/theme---sad\tmood/theme---dark\r\n"
    )
    tally = prepare_audio(source, tmp_path / "wav", split_files=[tsv, tsv], jobs=1)
    assert (tally.converted, tally.failures) == (2, [])
    assert files_below(tmp_path / "wav") == ["48/948.wav", "49/1049.wav"]


def test_a_split_track_without_its_file_is_reported(source, tmp_path):
    tsv = tmp_path / "split.tsv"
    tsv.write_text(TSV_HEADER + "t1\ta\tb\t48/948.mp3\t1.0\tx\r\n" + "t2\ta\tb\t99/999.mp3\t1.0\tx\r\n")
    tally = prepare_audio(source, tmp_path / "wav", split_files=[tsv], jobs=1)
    assert tally.failures == [f"{source / '99/999.mp3'}: no such file (nor .low.mp3)"]
    assert tally.converted == 1


def test_plan_refuses_what_cannot_be_meant(source, tmp_path):
    tsv = tmp_path / "split.tsv"
    tsv.write_text(TSV_HEADER + "t2\ta\tb\t99/999.mp3\t1.0\tx\r\n")
    with pytest.raises(AugliError, match=rf"^none of the 1 tracks listed in {tsv} is below {source}$"):
        plan(source, tmp_path / "wav", split_files=[tsv])
    with pytest.raises(AugliError, match=rf"^the output folder {source / 'wav'} must not be inside the source folder {source}$"):
        plan(source, source / "wav")
    unrelated = tmp_path / "unrelated.txt"
    unrelated.write_text(f"{'ab' * 32} 00/1009600.low.mp3\n")
    with pytest.raises(AugliError, match=rf"^none of the 4 files to convert is listed in {unrelated} \(it lists paths like 00/1009600.low.mp3\)$"):
        plan(source, tmp_path / "wav", checksum_file=unrelated)


def run_cli(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_cli_converts_in_parallel_and_reports_a_corrupt_file(source, tmp_path):
    (source / "51").mkdir()
    (source / "51/1051.mp3").write_bytes(b"not an mp3 at all" * 50)
    result = run_cli(source, tmp_path / "wav", "-j", 2)

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "converted 4, already done 0, failed 1"
    assert lines[1].startswith(f"FAILED {source / '51/1051.mp3'} is not a readable audio file (libsndfile: ")
    assert result.stderr.splitlines()[-1] == "Error: 1 of 5 tracks failed"
    assert files_below(tmp_path / "wav") == ["48/948.wav", "48/deep/1048.wav", "49/1049.wav", "50/1050.wav"]


def test_cli_checksum_mismatch_and_rerun(source, tmp_path):
    checksums = tmp_path / "sha.txt"
    checksums.write_text(sha256_list(source, TRACKS, corrupt={"50/1050.wav"}))
    first = run_cli(source, tmp_path / "wav", "--sha256", checksums, "-j", 1)
    assert first.exit_code == 1
    assert first.stdout.splitlines()[0] == "converted 3, already done 0, failed 1"

    checksums.write_text(sha256_list(source, TRACKS))
    second = run_cli(source, tmp_path / "wav", "--sha256", checksums, "-j", 1)
    assert second.exit_code == 0, second.output
    assert second.stdout == "converted 1, already done 3, failed 0\n"


def test_cli_tsv_option(source, tmp_path):
    tsv = tmp_path / "split.tsv"
    tsv.write_text(TSV_HEADER + "t1\ta\tb\t50/1050.wav\t0.5\tx\r\n")
    result = run_cli(source, tmp_path / "wav", "--tsv", tsv, "-j", 1)
    assert result.exit_code == 0, result.output
    assert result.stdout == "converted 1, already done 0, failed 0\n"
    assert files_below(tmp_path / "wav") == ["50/1050.wav"]


def test_cli_low_quality_split_tracks_against_their_own_checksum_list(source, tmp_path):
    """reproduce.sh --low-quality: the TSVs name `48/948.mp3`, the audio-low list `48/948.low.mp3`; only split tracks."""
    (source / "48/948.mp3").rename(source / "48/948.low.mp3")
    tsv = tmp_path / "split.tsv"
    tsv.write_text(TSV_HEADER + "t1\ta\tb\t48/948.mp3\t1.0\tx\r\n" + "t2\ta\tb\t49/1049.flac\t0.75\tx\r\n")
    checksums = tmp_path / "autotagging_moodtheme_audio-low_sha256_tracks.txt"
    checksums.write_text(sha256_list(source, ["48/948.low.mp3", "49/1049.flac", "50/1050.wav"]))
    result = run_cli(source, tmp_path / "wav", "--sha256", checksums, "--tsv", tsv, "-j", 1)
    assert result.exit_code == 0, result.output
    assert result.stdout == "converted 2, already done 0, failed 0\n"
    assert files_below(tmp_path / "wav") == ["48/948.wav", "49/1049.wav"]  # not 48/deep/1048 nor 50/1050


def test_cli_help_shows_the_default_jobs():
    result = run_cli("--help")
    assert result.exit_code == 0
    assert f"[default: {DEFAULT_JOBS}; x>=1]" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["{tmp}/nowhere", "{tmp}/wav"], "Error: Invalid value for 'SOURCE_DIR': Directory '{tmp}/nowhere' does not exist."),
        (["{tmp}/audio", "{tmp}/wav", "-j", "0"], "Error: Invalid value for '-j' / '--jobs': 0 is not in the range x>=1."),
        (["{tmp}/audio", "{tmp}/wav", "--tsv", "{tmp}/no.tsv"], "Error: Invalid value for '--tsv': File '{tmp}/no.tsv' does not exist."),
        (["{tmp}/audio", "{tmp}/wav", "--sha256", "{tmp}/no.txt"], "Error: Invalid value for '--sha256': File '{tmp}/no.txt' does not exist."),
        (["{tmp}/audio", "{tmp}/audio/wav"], "Error: the output folder {tmp}/audio/wav must not be inside the source folder {tmp}/audio"),
        (["{tmp}/empty", "{tmp}/wav"], "Error: no audio files (.flac, .mp3, .ogg, .wav) below {tmp}/empty"),
        (["{tmp}/twins", "{tmp}/wav"], "Error: {tmp}/twins/a/1.mp3 and {tmp}/twins/a/1.ogg would both be converted to a/1.wav"),
        (["{tmp}/audio", "{tmp}/wav", "--tsv", "{tmp}/bad.tsv"], "Error: {tmp}/bad.tsv is not an MTG-Jamendo split TSV: the header must be TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS"),
        (["{tmp}/audio", "{tmp}/wav", "--sha256", "{tmp}/bad.tsv"], "Error: {tmp}/bad.tsv line 1: expected '<64 hex digits> <path>', found 'not a header'"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(source, tmp_path, arguments, error):
    (tmp_path / "empty").mkdir()
    write_track(tmp_path / "twins/a/1.mp3", 16000, 1, 0.1, 100.0)
    write_track(tmp_path / "twins/a/1.ogg", 16000, 1, 0.1, 100.0)
    (tmp_path / "bad.tsv").write_text("not a header\n")

    result = run_cli(*(argument.format(tmp=tmp_path) for argument in arguments))

    assert result.exit_code != 0
    assert result.stderr.splitlines()[-1] == error.format(tmp=tmp_path)
    assert result.stdout == ""
    assert not (tmp_path / "wav").exists() and not (source / "wav").exists()


def test_the_real_split_0_paths_give_one_wav_each():
    split_dir = Path(__file__).parent / "fixtures/MEDIAEVAL19/mtg-jamendo-dataset/data/splits/split-0"
    paths = split_track_paths(sorted(split_dir.glob("autotagging_moodtheme-*.tsv")))
    names = {wav_name(path) for path in paths}
    assert (len(paths), len(names)) == (17982, 17982)
    assert paths[0] == "00/1009600.mp3" and wav_name(paths[0]) == "00/1009600.wav"
    assert all(name.endswith(".wav") and name.count("/") == 1 for name in names)
