import pytest

from zeropark.cbam.installation import example_path, read_installation
from zeropark.errors import InputError


def test_example_reads():
    inst = read_installation(example_path())
    assert inst.enterprise_id == "wujin-fasteners"
    assert [p.process_id for p in inst.processes] == ["wire-drawing", "bolts", "nuts"]
    assert inst.process("bolts").sources[-1].share == 0.6


def test_errors_name_file_table_and_key(tmp_path):
    text = example_path().read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("share = 0.6", "share = 1.6"), encoding="utf-8")
    with pytest.raises(InputError, match=r"processes\[1\]\.sources\[4\].*share"):
        read_installation(bad)
    bad.write_text(text.replace('precursor = "bar"', 'precursor = "rod"'), encoding="utf-8")
    with pytest.raises(InputError, match="unknown precursor 'rod'"):
        read_installation(bad)
    with pytest.raises(InputError, match="file not found"):
        read_installation(tmp_path / "none.toml")
