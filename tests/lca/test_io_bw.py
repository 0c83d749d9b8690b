"""bw_processing datapackage import on a two-activity package built here.

Activity 10 (1 kg) takes 0.5 kWh of activity 20 (input stored positive with
flip=True, Brightway style); 20 emits 0.8 kg of flow 100 (CF 1), 10 emits
0.1 kg of flow 101 (CF 27.9). Score of 1 kg of 10 = 0.5·0.8 + 0.1·27.9 = 3.19.
"""

import numpy as np
import pytest
from bw_processing import INDICES_DTYPE, UNCERTAINTY_DTYPE, create_datapackage
from fsspec.implementations.zip import ZipFileSystem

from zeropark.errors import InputError
from zeropark.lca.io_bw import read_bw_datapackage
from zeropark.lca.matrices import Activity, UncertaintyType


def make_package(fs=None):
    dp = create_datapackage(fs=fs, name="tiny")
    dist = np.zeros(3, dtype=UNCERTAINTY_DTYPE)
    dist["uncertainty_type"] = [0, 0, 5]
    dist["loc"] = [1.0, 1.0, 0.5]
    dist["minimum"] = [np.nan, np.nan, 0.4]
    dist["maximum"] = [np.nan, np.nan, 0.7]
    dist["scale"] = np.nan
    dp.add_persistent_vector(
        matrix="technosphere_matrix", name="tech",
        indices_array=np.array([(10, 10), (20, 20), (20, 10)], dtype=INDICES_DTYPE),
        data_array=np.array([1.0, 1.0, 0.5]), flip_array=np.array([False, False, True]),
        distributions_array=dist)
    dp.add_persistent_vector(
        matrix="biosphere_matrix", name="bio",
        indices_array=np.array([(100, 20), (101, 10)], dtype=INDICES_DTYPE),
        data_array=np.array([0.8, 0.1]))
    dp.add_persistent_vector(
        matrix="characterization_matrix", name="cf",
        indices_array=np.array([(100, 100), (101, 101)], dtype=INDICES_DTYPE),
        data_array=np.array([1.0, 27.9]))
    return dp


def test_matrices_and_flip():
    system = read_bw_datapackage(make_package(), activities={10: Activity("10", "part")})
    assert [a.name for a in system.activities] == ["part", "20"]
    np.testing.assert_allclose(system.technosphere_matrix().toarray(), [[1, 0], [-0.5, 1]],
                               rtol=1e-12)
    np.testing.assert_allclose(system.biosphere_matrix().toarray(), [[0, 0.8], [0.1, 0]],
                               rtol=1e-12)
    assert system.characterization_vector("GWP100").tolist() == [1.0, 27.9]


def test_flipped_uncertainty():
    t = read_bw_datapackage(make_package()).technosphere
    k = int(np.flatnonzero(t.values < 0)[0])
    assert t.uncertainty_type[k] == UncertaintyType.TRIANGULAR
    # UNCERTAINTY_DTYPE stores the bounds as float32: relative tolerance 1e-7
    assert (t.minimum[k], t.loc[k], t.maximum[k]) == pytest.approx((-0.7, -0.5, -0.4),
                                                                   rel=1e-7)


def test_zip_on_disk_and_score(tmp_path, lca_class):
    path = tmp_path / "tiny.zip"
    dp = make_package(ZipFileSystem(str(path), mode="w"))
    dp.finalize_serialization()
    system = read_bw_datapackage(path)
    assert lca_class(system).score({"10": 1.0}) == pytest.approx(0.5 * 0.8 + 0.1 * 27.9,
                                                                 rel=1e-12)


def test_separate_product_nodes():
    """Brightway 2.5 style: product 5 made by process 10, consumed by process 20."""
    dp = create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=np.array([(5, 10), (20, 20), (5, 20)], dtype=INDICES_DTYPE),
        data_array=np.array([2.0, 1.0, 1.0]), flip_array=np.array([False, False, True]))
    a = read_bw_datapackage(dp).technosphere_matrix().toarray()
    np.testing.assert_allclose(a, [[2, -1], [0, 1]], rtol=1e-12)


def test_orphan_product_raises():
    dp = create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=np.array([(10, 10), (7, 10)], dtype=INDICES_DTYPE),
        data_array=np.array([1.0, 1.0]), flip_array=np.array([False, True]))
    with pytest.raises(InputError, match="without a producing activity"):
        read_bw_datapackage(dp)
