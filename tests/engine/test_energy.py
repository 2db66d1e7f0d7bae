import torch

from dragon_widgets.engine.energy import SimilarityTerm, global_similarity, identity_group, local_similarity


def feats(seed, c=8, h=6, w=10):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(c, h, w, generator=g)


def idx(*cells):
    return torch.tensor(cells, dtype=torch.long)


def test_identical_features_give_similarity_one_and_the_attract_minimum():
    f = feats(0)
    cells = idx(0, 5, 17, 33)
    assert torch.isclose(local_similarity(f, f, cells, cells), torch.tensor(1.0))
    t = SimilarityTerm("edit", "attract", 4.0, "edit", "base", [identity_group(cells)], layer_weights=(0.5, 0.5))
    e = t.energy([f, f], {"base": [f, f]}, beta=4.0)
    assert torch.isclose(e, torch.tensor(4.0 / 5.0))  # Σ_l 0.5·w/(1+4·1)


def test_paired_cells_follow_a_shift():
    f = feats(1)
    shifted = torch.roll(f, shifts=3, dims=2)  # content moves 3 cells right
    src = idx(*[r * 10 + c for r in range(6) for c in range(0, 5)])
    dst = src + 3
    assert torch.isclose(local_similarity(shifted, f, dst, src), torch.tensor(1.0))
    assert local_similarity(shifted, f, src, src) < 0.5


def test_repel_is_linear_in_normalised_similarity():
    f = feats(2)
    cells = idx(1, 2, 3)
    t = SimilarityTerm("contrast", "repel", 0.2, "rest", "base", [identity_group(cells)], normalized=True,
                       layer_weights=(1.0,))
    assert torch.isclose(t.energy([f], {"base": [f]}, 4.0), torch.tensor(0.2))
    assert torch.isclose(t.energy([-f], {"base": [f]}, 4.0), torch.tensor(0.0), atol=1e-6)


def test_global_similarity_compares_mean_features_of_different_regions():
    f = torch.zeros(3, 2, 4)
    f[0, :, :2] = 1.0  # left half points along channel 0
    f[0, :, 2:] = 2.0  # right half too, different magnitude
    left = idx(0, 1, 4, 5)
    right = idx(2, 3, 6, 7)
    assert torch.isclose(global_similarity(f, f, left, right), torch.tensor(1.0))
    assert local_similarity(f, f, left, right) > 0.99


def test_drag_groups_average_the_attract_form_per_pair():
    f = feats(3)
    g1 = (idx(0), idx(0))  # perfect match
    g2 = (idx(1), idx(30))  # some other match
    t = SimilarityTerm("edit", "attract", 1.0, "edit", "base", [g1, g2], normalized=True, layer_weights=(1.0,))
    s2 = (torch.nn.functional.cosine_similarity(f.flatten(1)[:, 1], f.flatten(1)[:, 30], dim=0) + 1) / 2
    expected = (1 / (1 + 4 * 1.0) + 1 / (1 + 4 * s2)) / 2
    assert torch.isclose(t.energy([f], {"base": [f]}, 4.0), expected)


def test_energy_gradient_flows_to_the_current_features_only():
    f = feats(4).requires_grad_(True)
    ref = feats(5)
    t = SimilarityTerm("content", "attract", 6.0, "rest", "base", [identity_group(idx(0, 1, 2))], layer_weights=(1.0,))
    (g,) = torch.autograd.grad(t.energy([f], {"base": [ref]}, 4.0), f)
    assert g.flatten(1)[:, 3:].abs().sum() == 0 and g.flatten(1)[:, :3].abs().sum() > 0


def test_a_term_can_average_over_more_groups_than_it_holds():
    """Drag's contrast term averages over all K pairs (official 1/K Σ_k); a pair with nothing to repel adds 0."""
    f = feats(6)
    group = [identity_group(idx(1, 2))]
    t2 = SimilarityTerm("contrast", "repel", 1.0, "edit", "base", group, normalized=True, layer_weights=(1.0,))
    t3 = SimilarityTerm("contrast", "repel", 1.0, "edit", "base", group, normalized=True, layer_weights=(1.0,), count=3)
    assert torch.isclose(t3.energy([f], {"base": [f]}, 4.0), t2.energy([f], {"base": [f]}, 4.0) / 3)


def test_layer_weights_must_match_the_feature_layers():
    f = feats(7)
    t = SimilarityTerm("edit", "attract", 1.0, "edit", "base", [identity_group(idx(0))], layer_weights=(0.5, 0.5))
    import pytest

    with pytest.raises(ValueError, match="2 layer weights for 3 current"):
        t.energy([f, f, f], {"base": [f, f, f]}, 4.0)
